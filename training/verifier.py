"""`qa fit-verifier`: fit the answer verifier (qa/data/verifier.json) on tuning data only, and choose its operating point.

Examples are the candidates the pipeline proposes (`Answerer.context`), each labelled right when it is an exact match
of a gold answer, from:
- the article's tune split (eval/questions.jsonl, split "tune": answerable and unanswerable questions; never "report"),
  weighted by `--article-weight`;
- CMRC 2018 trial and a seeded sample of CMRC 2018 train paragraphs, each question asked of its own paragraph, and a
  share of them asked again of the most similar other sampled paragraph whose text lacks the gold answer, and another
  share asked again of their own paragraph without the sentences that hold the answer (unanswerable questions that look
  like answerable ones: another text on the subject, and the same text one fact short). CMRC train's questions weigh
  `SEEN_WEIGHT`: the reader was trained on them, so it reads them more surely than text it has not seen.

The model is a linear softmax over each question's candidates and no answer (logit 0), on standardised features,
fitted to the likelihood of the right candidates (of no answer for an unanswerable question). Out-of-fold
probabilities (folds by question), averaged over `--fold-draws` draws of the folds, choose the operating point: the
threshold that maximises expected F1 on the tune split reweighted to `--mix` answerable questions per unanswerable one,
with NoAns accuracy at least `--noans-floor`.
The file records data, counts, seed, commit and the out-of-fold figures; the same command with the same data
reproduces it.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import json
import random
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.datasets import ARTICLE_SET, EvalItem, load_article_set, load_squad
from eval.metrics import exact_match, f1_score
from qa.article import ARTICLE_ID
from qa.model_cache import write_atomically
from qa.settings import REPO_DIR, Settings, cache_root
from qa.verify.features import FEATURES, describe
from qa.verify.verifier import VERIFIER_FILE, Verifier
from training.sample_squad import leading_groups, path_and_number

DATA_DIR = REPO_DIR.parent / "shared" / "data"
CMRC_TRAIN = DATA_DIR / "cmrc2018" / "cmrc2018_train.json"
CMRC_TRIAL = DATA_DIR / "cmrc2018" / "cmrc2018_trial.json"
SEED = 2023
FOLDS = 5
FOLD_DRAWS = 8  # one draw of the folds moves the operating point by up to 0.05 (docs/verifier.md)
SEEN_WEIGHT = 0.3  # a question of data the reader was trained on (docs/verifier.md)
DEFAULT_SQUAD = [(CMRC_TRIAL, 1.0), (CMRC_TRAIN, SEEN_WEIGHT)]


@dataclass(frozen=True)
class Example:
    """One question's candidates: features, exact-match labels and F1 against the gold answers."""

    group: str  # "<source>:<question id>[:neg|:cut]"
    source: str  # "article", "cmrc", "cmrc-negative" (another paragraph) or "cmrc-cut" (its own, the answer cut out)
    answerable: bool
    features: list[list[float]]
    em: list[float]
    f1: list[float]
    texts: list[str]


def collect(answerer, items: list[EvalItem], source: str, suffix: str = "") -> list[Example]:
    """The described candidates of each item's question (answered by `answerer`)."""
    out = []
    for item in items:
        if not item.question.strip():
            continue
        context = answerer.context(item.question)
        described = [(candidate, describe(context, candidate)) for candidate in context.candidates]
        answers = item.answers if item.answerable else ()
        out.append(Example(
            group=f"{source}:{item.id}{suffix}", source=source, answerable=bool(answers),
            features=[[features[name] for name in FEATURES] for _, features in described],
            em=[exact_match(c.text, answers) if answers else 0.0 for c, _ in described],
            f1=[f1_score(c.text, answers) if answers else 0.0 for c, _ in described],
            texts=[c.text for c, _ in described],
        ))
    return out


def similar_paragraphs(questions: list[str], documents: dict[str, str], own: list[str]) -> list[str]:
    """For each question, the other paragraph most like it (TF-IDF over character bigrams)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = list(documents)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
    paragraphs = vectorizer.fit_transform([documents[i] for i in ids])
    similarity = (vectorizer.transform(questions) @ paragraphs.T).toarray()
    position = {doc_id: index for index, doc_id in enumerate(ids)}
    for row, doc_id in enumerate(own):
        similarity[row, position[doc_id]] = -1.0
    return [ids[int(np.argmax(row))] for row in similarity]


def draw_squad(path: Path, sample: int | None, negative_share: float, rng: random.Random) -> tuple:
    """(the file, its sampled paragraph ids, the questions to ask of each): the questions of sampled paragraphs over
    their own paragraph, and a share of them over the most similar other sampled paragraph that lacks their answer.
    Drawn whether or not the examples are cached, so one seed draws the same sample of every file."""
    squad = load_squad(path)
    by_doc: dict[str, list[EvalItem]] = {}
    for item in squad.items:
        if item.answerable and item.question.strip():
            by_doc.setdefault(item.doc_id, []).append(item)
    doc_ids = sorted(by_doc)
    rng.shuffle(doc_ids)
    if sample is not None:
        doc_ids = leading_groups(doc_ids, lambda doc_id: len(by_doc[doc_id]), sample)
    asked = {doc_id: list(by_doc[doc_id]) for doc_id in doc_ids}
    chosen = [item for doc_id in doc_ids for item in by_doc[doc_id] if rng.random() < negative_share]
    if len(doc_ids) > 1 and chosen:
        documents = {doc_id: squad.documents[doc_id] for doc_id in doc_ids}
        others = similar_paragraphs([i.question for i in chosen], documents, [i.doc_id for i in chosen])
        for item, other in zip(chosen, others):
            if not any(answer in documents[other] for answer in item.answers):
                asked[other].append(_unanswerable(item))
    return squad, doc_ids, asked


def squad_examples(factory, drawn: tuple, progress) -> list[Example]:
    """The drawn questions described over their paragraphs, one answerer per paragraph."""
    squad, doc_ids, asked = drawn
    examples = []
    for doc_id in progress(doc_ids, f"{Path(squad.path).name} paragraphs"):
        answerer = factory.from_texts({doc_id: squad.documents[doc_id]})
        own = [item for item in asked[doc_id] if item.answerable]
        examples += collect(answerer, own, "cmrc")
        examples += collect(answerer, [item for item in asked[doc_id] if not item.answerable], "cmrc-negative", ":neg")
    return examples


_SENTENCE_RE = re.compile(r"[^。！？!?]+[。！？!?]*")


def without_answer(text: str, answers: tuple[str, ...]) -> str | None:
    """`text` without its sentences that hold one of `answers`; None when an answer is left (it runs over two
    sentences, or is said twice) or nothing is.

    >>> without_answer("青山市新建了5所学校。校长是李明。学校建于1998年。", ("李明",))
    '青山市新建了5所学校。学校建于1998年。'
    """
    rest = "".join(s for s in _SENTENCE_RE.findall(text) if not any(answer in s for answer in answers))
    return rest if rest.strip() and not any(answer in rest for answer in answers) else None


def draw_cut(drawn: tuple, share: float, rng: random.Random) -> list[tuple[str, str, EvalItem]]:
    """(paragraph id, its text without the answer, the question made unanswerable) for a share of the drawn questions
    asked of their own paragraph."""
    squad, doc_ids, asked = drawn
    out = []
    for doc_id in doc_ids:
        for item in asked[doc_id]:
            if item.answerable and rng.random() < share:
                text = without_answer(squad.documents[doc_id], item.answers)
                if text is not None:
                    out.append((doc_id, text, _unanswerable(item)))
    return out


def cut_examples(factory, cut: list[tuple[str, str, EvalItem]], progress) -> list[Example]:
    """Each cut question described over its paragraph without the answer."""
    examples = []
    for doc_id, text, item in progress(cut, "paragraphs without the answer"):
        examples += collect(factory.from_texts({doc_id: text}), [item], "cmrc-cut", ":cut")
    return examples


def _unanswerable(item: EvalItem) -> EvalItem:
    return replace(item, answers=(), answerable=False, answer_spans=(), evidence_spans=())


def flatten(examples: list[Example], question_weights: list[float]) -> tuple[np.ndarray, ...]:
    """(X, y, question weight, question index, question answerable) over every candidate; `question_weights[i]`
    is the weight of `examples[i]`."""
    rows, labels, weights, groups, answerable = [], [], [], [], []
    for index, (example, weight) in enumerate(zip(examples, question_weights, strict=True)):
        for features, em in zip(example.features, example.em):
            rows.append(features)
            labels.append(em)
            weights.append(weight)
            groups.append(index)
            answerable.append(example.answerable)
    return (np.array(rows, float).reshape(len(rows), len(FEATURES)), np.array(labels, int), np.array(weights, float),
            np.array(groups, int), np.array(answerable, bool))


def fit_softmax(X: np.ndarray, y: np.ndarray, weights: np.ndarray, groups: np.ndarray, answerable: np.ndarray,
                l2: float):
    """(means, scales, weights, intercept) of a linear softmax over each question's candidates and no answer (logit 0),
    maximising the weighted likelihood of its right candidates, or of no answer for an unanswerable question; rows of a
    question are contiguous, and an answerable question without a right candidate teaches nothing and is left out."""
    from scipy.optimize import minimize

    right = np.zeros(groups.max() + 1, bool)
    np.logical_or.at(right, groups, y.astype(bool))
    keep = ~(answerable & ~right[groups])
    X, y, weights, groups, answerable = X[keep], y[keep].astype(float), weights[keep], groups[keep], answerable[keep]
    first = np.flatnonzero(np.r_[True, np.diff(groups) != 0])
    weight, no_answer = weights[first], (~answerable[first]).astype(float)
    means = X.mean(axis=0)
    scales = X.std(axis=0)
    scales[scales == 0] = 1.0
    Z = (X - means) / scales

    def loss(theta):
        coef, intercept = theta[:-1], theta[-1]
        share, left, starts, row_question = _question_softmax(Z @ coef + intercept, groups)
        chosen = np.add.reduceat(share * y, starts) + left * no_answer
        value = -(weight * np.log(chosen)).sum() + 0.5 * l2 * coef @ coef
        slope = weight[row_question] * share * (1.0 - y / chosen[row_question])
        return value, np.r_[Z.T @ slope + l2 * coef, slope.sum()]

    theta = minimize(loss, np.zeros(X.shape[1] + 1), jac=True, method="L-BFGS-B", options={"maxiter": 2000}).x
    return means, scales, theta[:-1], float(theta[-1])


def _question_softmax(logits: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, ...]:
    """(each row's share of its question's softmax, each question's share left to no answer, the questions' first
    rows, each row's question number); rows of a question are contiguous, no answer has logit 0."""
    new_question = np.r_[True, np.diff(groups) != 0]
    starts, row_question = np.flatnonzero(new_question), np.cumsum(new_question) - 1
    top = np.maximum(np.maximum.reduceat(logits, starts), 0.0)
    exps, null = np.exp(logits - top[row_question]), np.exp(-top)
    total = np.add.reduceat(exps, starts) + null
    return exps / total[row_question], null / total, starts, row_question


def shares(X: np.ndarray, groups: np.ndarray, means, scales, coef, intercept) -> np.ndarray:
    """Each candidate's share of its question's softmax (what `Verifier.verdicts` computes, over all rows at once)."""
    if len(X) == 0:
        return np.zeros(0)
    return _question_softmax(((X - means) / scales) @ coef + intercept, groups)[0]


def out_of_fold(X, y, weights, groups, answerable, l2: float, seed: int) -> np.ndarray:
    """Each candidate's share from a model fitted without its question (`FOLDS` folds by question)."""
    fold_of = np.random.default_rng(seed).integers(0, FOLDS, size=groups.max() + 1)[groups]
    probabilities = np.zeros(len(y))
    for fold in range(FOLDS):
        train, test = fold_of != fold, fold_of == fold
        model = fit_softmax(X[train], y[train], weights[train], groups[train], answerable[train], l2)
        probabilities[test] = shares(X[test], groups[test], *model)
    return probabilities


def averaged_out_of_fold(X, y, weights, groups, answerable, l2: float, seeds: list[int]) -> np.ndarray:
    """Each candidate's out-of-fold share averaged over one draw of the folds per seed: every model that scores a
    question was fitted without it, and the mean does not hang on which questions shared its fold."""
    return np.mean([out_of_fold(X, y, weights, groups, answerable, l2, seed) for seed in seeds], axis=0)


def best_per_question(examples: list[Example], probabilities: np.ndarray) -> list[tuple[float, float, float]]:
    """For each question: (the best candidate's probability, its F1, its EM); (0, 0, 0) without candidates."""
    out, cursor = [], 0
    for example in examples:
        n = len(example.em)
        if n == 0:
            out.append((0.0, 0.0, 0.0))
            continue
        scores = probabilities[cursor : cursor + n]
        best = int(np.argmax(scores))
        out.append((float(scores[best]), example.f1[best], example.em[best]))
        cursor += n
    return out


def figures(examples: list[Example], best: list[tuple[float, float, float]], threshold: float) -> dict:
    """HasAns EM/F1 and NoAns accuracy at `threshold`, in percent."""
    has = [(p, f1, em) for e, (p, f1, em) in zip(examples, best) if e.answerable]
    no = [p for e, (p, _, _) in zip(examples, best) if not e.answerable]
    out = {"questions": len(examples)}
    if has:
        out["hasans_em"] = 100 * sum(em for p, _, em in has if p >= threshold) / len(has)
        out["hasans_f1"] = 100 * sum(f1 for p, f1, _ in has if p >= threshold) / len(has)
    if no:
        out["noans"] = 100 * sum(p < threshold for p in no) / len(no)
    return {key: round(value, 2) if isinstance(value, float) else value for key, value in out.items()}


def operating_point(examples: list[Example], best, mix: float, floor: float) -> tuple[float, dict]:
    """The threshold maximising mix/(mix+1) * HasAns F1 + 1/(mix+1) * NoAns accuracy with NoAns >= floor."""
    chosen, chosen_value = None, -1.0
    for threshold in np.round(np.arange(0.02, 0.99, 0.01), 2):
        result = figures(examples, best, float(threshold))
        if result.get("noans", 100.0) < floor:
            continue
        value = (mix * result.get("hasans_f1", 0.0) + result.get("noans", 0.0)) / (mix + 1)
        if value > chosen_value:
            chosen, chosen_value = float(threshold), value
    if chosen is None:
        raise ValueError(f"no threshold reaches NoAns accuracy {floor} on the tune split")
    result = figures(examples, best, chosen)
    result["expected_f1"] = round(chosen_value, 2)
    return chosen, result


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_DIR, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _progress(quiet: bool):
    from tqdm import tqdm

    return lambda iterable, desc: tqdm(list(iterable), desc=desc, disable=quiet, unit="paragraph")


def weighted_path(value: str) -> tuple[Path, float]:
    """"cmrc2018_train.json:0.3" -> (path, 0.3); a path without a weight weighs 1."""
    return path_and_number(value, float, default=1.0)


def asked_key(pairs) -> str:
    """The identity of what a source asks, from its (paragraph, question id, answerable) triples: a cache of
    described candidates serves only the same questions asked of the same paragraphs."""
    return hashlib.sha256(json.dumps(sorted(map(list, pairs)), ensure_ascii=False).encode("utf-8")).hexdigest()


def reader_identity(settings: Settings) -> dict | None:
    """The weights and graph of the reader that describes the candidates (`qa.reader.OnnxReader.identity`)."""
    from qa.pipeline import shipped_reader

    return getattr(shipped_reader(settings), "identity", None)


def save_examples(path: Path, examples: list[Example], asked: str, reader: dict | None = None) -> None:
    """Cache one source's described candidates with what was asked (`asked_key`), the features, the reader
    (`reader_identity`) and the commit they were described with."""
    def write(temporary: Path) -> None:
        with gzip.open(temporary, "wt", encoding="utf-8") as handle:
            json.dump({"features": list(FEATURES), "commit": _commit(), "asked": asked, "reader": reader,
                       "examples": [vars(e) for e in examples]}, handle, ensure_ascii=False)

    write_atomically(path, write)  # a describing run killed midway leaves no half-written cache


def load_examples(path: Path, asked: str | None = None, reader: dict | None = None) -> tuple[list[Example], str] | None:
    """One source's cached examples and the commit they were described at, or None when absent, described by other
    features or (given `reader`) another reader, or (given `asked`) for other questions: another --sample, share or
    seed draws other questions."""
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    if tuple(data["features"]) != FEATURES or (asked is not None and data.get("asked") != asked):
        return None
    if reader is not None and data.get("reader") != reader:
        return None
    return [Example(**e) for e in data["examples"]], data.get("commit", "unknown")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa fit-verifier", description=__doc__.split("\n\n")[0])
    parser.add_argument("--article-set", type=Path, default=ARTICLE_SET, help="article question set (its tune split)")
    parser.add_argument("--squad", type=weighted_path, nargs="*", default=DEFAULT_SQUAD, metavar="PATH[:WEIGHT]",
                        help="SQuAD-format tuning files, each with the weight of its questions (default: CMRC 2018 "
                        f"trial, and train at {SEEN_WEIGHT}: the reader was trained on it, so its reads there are "
                        "surer than on unseen text)")
    parser.add_argument("--sample", type=int, default=2500, help="questions of each file, in whole paragraphs sampled")
    parser.add_argument("--negative-share", type=float, default=0.3, help="share of questions asked of another paragraph")
    parser.add_argument("--cut-share", type=float, default=0.3,
                        help="share of questions asked of their own paragraph without the answer's sentences")
    parser.add_argument("--article-weight", type=float, default=30.0, help="weight of an article candidate")
    parser.add_argument("--l2", type=float, default=100.0, help="L2 penalty on the standardised weights")
    parser.add_argument("--mix", type=float, default=4.0, help="answerable questions per unanswerable one")
    parser.add_argument("--noans-floor", type=float, default=90.0, help="least NoAns accuracy on the tune split (%%)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--fold-draws", type=int, default=FOLD_DRAWS,
                        help="draws of the folds (seeds SEED, SEED+1, ...) whose out-of-fold probabilities are averaged")
    parser.add_argument("--examples", type=Path, help="folder caching each source's described candidates "
                        "(default: verifier-examples in the model cache)")
    parser.add_argument("--refresh", nargs="*", metavar="SOURCE",
                        help="describe these sources' candidates again (article, a SQuAD file's stem, or the stem "
                        "and -cut); none named: all")
    parser.add_argument("--out", type=Path, default=VERIFIER_FILE, help=f"where to write (default: {VERIFIER_FILE})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


def main(argv: list[str] | None = None, factory=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.fold_draws < 1:
        parser.error(f"--fold-draws: expected at least 1, got {args.fold_draws}")
    if factory is None:
        from eval.runner import SharedModelsFactory

        factory = SharedModelsFactory()
    settings = Settings()
    reader = reader_identity(settings)
    cache = args.examples or cache_root(settings.cache_dir) / "verifier-examples"
    rng = random.Random(args.seed)
    examples, question_weights, described_at = [], [], {}
    progress = _progress(args.quiet)

    def described(name: str, asked: str, describe, weight: float) -> None:
        """One source's examples, from the cache unless it is refreshed, missing or for other questions (then
        described and cached)."""
        file = cache / f"{name}.json.gz"
        refreshed = args.refresh is not None and (not args.refresh or name in args.refresh)
        cached = None if refreshed else load_examples(file, asked, reader)
        if cached is None:
            found = describe()
            save_examples(file, found, asked, reader)
            cached = (found, _commit())
        examples.extend(cached[0])
        question_weights.extend([weight] * len(cached[0]))
        described_at[name] = cached[1]

    tune = [item for item in load_article_set(args.article_set).items if item.split == "tune"]
    described("article", asked_key((ARTICLE_ID, item.id, item.answerable) for item in tune),
              lambda: collect(factory.for_article(settings), tune, "article"), args.article_weight)
    for path, weight in args.squad:
        drawn = draw_squad(path, args.sample, args.negative_share, rng)
        _, doc_ids, asked = drawn
        described(path.stem, asked_key((d, item.id, item.answerable) for d in doc_ids for item in asked[d]),
                  lambda: squad_examples(factory, drawn, progress), weight)
        # Its own generator, so that the samples drawn before it stay as they were.
        cut = draw_cut(drawn, args.cut_share, random.Random(f"{args.seed}:{path.stem}"))
        described(f"{path.stem}-cut", asked_key((doc_id, item.id, item.answerable) for doc_id, _, item in cut),
                  lambda: cut_examples(factory, cut, progress), weight)
    sources = {"article": str(args.article_set), "squad": [str(p) for p, _ in args.squad],
               "squad_weights": {path.stem: weight for path, weight in args.squad}, "described_at": described_at}
    X, y, weights, groups, answerable = flatten(examples, question_weights)
    fold_seeds = [args.seed + draw for draw in range(args.fold_draws)]
    probabilities = averaged_out_of_fold(X, y, weights, groups, answerable, args.l2, fold_seeds)
    best = best_per_question(examples, probabilities)
    article = [i for i, e in enumerate(examples) if e.source == "article"]
    threshold, tune = operating_point([examples[i] for i in article], [best[i] for i in article], args.mix,
                                      args.noans_floor)
    squad = [i for i, e in enumerate(examples) if e.source != "article"]
    held_out = {
        "article_tune": tune,
        "squad": figures([examples[i] for i in squad], [best[i] for i in squad], threshold),
    }
    means, scales, coef, intercept = fit_softmax(X, y, weights, groups, answerable, args.l2)
    counts = {source: sum(e.source == source for e in examples) for source in ("article", "cmrc", "cmrc-negative", "cmrc-cut")}
    provenance = {
        "command": "qa fit-verifier " + " ".join(argv if argv is not None else sys.argv[2:]),
        "data": sources, "reader": reader, "questions": counts, "candidates": int(len(y)), "right_candidates": int(y.sum()),
        "seed": args.seed, "fold_seeds": fold_seeds, "sample": args.sample, "negative_share": args.negative_share,
        "cut_share": args.cut_share,
        "article_weight": args.article_weight, "l2": args.l2,
        "operating_point": {"mix": f"{args.mix:g} answerable : 1 unanswerable", "noans_floor": args.noans_floor},
        "out_of_fold": held_out, "commit": _commit(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    verifier = Verifier(FEATURES, tuple(map(float, means)), tuple(map(float, scales)), tuple(map(float, coef)),
                        intercept, threshold, provenance)
    text = json.dumps(verifier.to_dict(), ensure_ascii=False, indent=1) + "\n"
    write_atomically(args.out, lambda temporary: temporary.write_text(text, encoding="utf-8"))
    print(f"verifier: {len(FEATURES)} features, {len(y)} candidates of {len(examples)} questions; threshold "
          f"{threshold:.2f}; out of fold: article tune {tune}, squad {held_out['squad']}; written to {args.out}")
    return 0
