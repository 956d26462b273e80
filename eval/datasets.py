"""Evaluation sets: the article question set (jsonl) and SQuAD-format files, loaded into frozen `EvalItem`s."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

# The article question set shipped with the evaluation.
ARTICLE_SET = Path(__file__).resolve().parent / "questions.jsonl"
# A second round written afresh in citizens' words, all held out (split "report"): never tuned on.
FRESH_SET = Path(__file__).resolve().parent / "fresh_questions.jsonl"
# A development round written afresh (split "tune": read freely, never fitted on): where errors are studied.
DEV_SET = Path(__file__).resolve().parent / "dev_questions.jsonl"
SPLITS = ("tune", "report")
ARTICLE_KINDS = (
    "number", "date", "person", "place_org", "named", "phrase", "list",
    "paraphrase", "english", "traditional", "unanswerable",
)
SAMPLE_SEED = 2018  # fixed, so `--sample N` picks the same questions on every run


class EvalDataError(ValueError):
    """An evaluation file is missing, is not valid JSON, or lacks a required field; the message says which."""


@dataclass(frozen=True)
class Span:
    """A character range [start, end) of one document; `doc_id` None means the set's only document."""

    start: int
    end: int
    doc_id: str | None = None

    def overlaps(self, start: int, end: int, doc_id: str | None) -> bool:
        """Whether [start, end) of `doc_id` shares at least one character with this span.

        >>> Span(5, 10).overlaps(9, 12, "any")
        True
        >>> Span(5, 10, "p1").overlaps(5, 10, "p2")
        False
        """
        same_doc = self.doc_id is None or self.doc_id == doc_id
        return same_doc and start < self.end and self.start < end


@dataclass(frozen=True)
class EvalItem:
    """One question with everything needed to score an answer to it."""

    id: str
    question: str
    answers: tuple[str, ...]  # every acceptable gold answer; () when unanswerable
    kind: str
    split: str  # "tune" (thresholds are chosen here) or "report"
    answerable: bool
    answer_spans: tuple[Span, ...] = ()  # where the gold answers sit (for "boundary" errors)
    # What retrieval must return: the gold sentence (article set) or each gold answer's first
    # character (SQuAD files); an evidence sentence that overlaps one of these counts as a hit.
    evidence_spans: tuple[Span, ...] = ()
    doc_id: str | None = None  # the question's own paragraph (SQuAD files)


@dataclass(frozen=True)
class EvalSet:
    """A loaded evaluation file: its items and, for SQuAD files, every distinct paragraph by id."""

    source: str  # "article" or "squad"
    path: str
    items: tuple[EvalItem, ...]
    documents: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    total_items: int = 0  # questions in the file, before sampling or filtering
    sample: int | None = None  # `--sample N`: N answerable + N unanswerable questions
    seed: int | None = None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalDataError(f"file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalDataError(f"cannot read {path}: {exc}") from None


def _require(record: dict, key: str, kind: type | tuple[type, ...], where: str):
    value = record.get(key)
    if not isinstance(value, kind):
        raise EvalDataError(f"{where}: field {key!r} is missing or has the wrong type (got {value!r})")
    return value


def load_article_set(path: str | Path) -> EvalSet:
    """Load the article question set (one JSON object per line; format in notes/QUESTIONS.md).

    Answer spans are found inside each question's evidence sentence, so no article text is needed.

    >>> s = load_article_set("eval/questions.jsonl")   # doctest: +SKIP
    >>> s.items[0].answers, s.items[0].split            # doctest: +SKIP
    (('112处', '112'), 'tune')
    """
    path = Path(path)
    items: list[EvalItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{where}: bad JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise EvalDataError(f"{where}: expected a JSON object, got {type(record).__name__}")
        item = _article_item(record, where)
        if item.id in seen:
            raise EvalDataError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvalDataError(f"{path}: no questions")
    return EvalSet(source="article", path=str(path), items=tuple(items), total_items=len(items))


def _article_item(record: dict, where: str) -> EvalItem:
    qid = _require(record, "id", str, where)
    question = _require(record, "question", str, where)
    if not question.strip():
        raise EvalDataError(f"{where}: question {qid!r} is empty")
    answers = _require(record, "answers", list, where)
    if not all(isinstance(a, str) and a for a in answers):
        raise EvalDataError(f"{where}: answers of {qid!r} must be non-empty strings, got {answers!r}")
    kind = _require(record, "kind", str, where)
    if kind not in ARTICLE_KINDS:
        raise EvalDataError(f"{where}: kind {kind!r} of {qid!r} is not one of {', '.join(ARTICLE_KINDS)}")
    if (kind == "unanswerable") != (not answers):
        raise EvalDataError(f"{where}: {qid!r} must have kind 'unanswerable' exactly when it has no answers")
    split = _require(record, "split", str, where)
    if split not in SPLITS:
        raise EvalDataError(f"{where}: split {split!r} of {qid!r} is not one of {SPLITS}")
    if not answers:
        return EvalItem(id=qid, question=question, answers=(), kind=kind, split=split, answerable=False)
    evidence = _require(record, "evidence", str, where)
    start = _require(record, "evidence_start", int, where)
    end = _require(record, "evidence_end", int, where)
    if end - start != len(evidence):
        raise EvalDataError(f"{where}: evidence offsets of {qid!r} ({start}, {end}) do not fit its evidence text")
    spans = []
    for answer in answers:
        offsets = _occurrences(evidence, answer)
        if not offsets:
            raise EvalDataError(f"{where}: answer {answer!r} of {qid!r} is not inside its evidence")
        spans.extend(Span(start + o, start + o + len(answer)) for o in offsets)
    return EvalItem(
        id=qid, question=question, answers=tuple(answers), kind=kind, split=split, answerable=True,
        answer_spans=tuple(dict.fromkeys(spans)), evidence_spans=(Span(start, end),),
    )


def _occurrences(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def squad_split(question_id: str) -> str:
    """The split of a SQuAD-file question: about one third "tune", chosen by a hash of its id.

    A hash (not the position) keeps each question in the same split whatever is sampled or limited.

    >>> squad_split("DEV_0_QUERY_0") in ("tune", "report")
    True
    """
    return "tune" if hash_bucket(question_id, 3) == 0 else "report"


def hash_bucket(key: str, buckets: int) -> int:
    """A stable bucket of `key` among `buckets` (sha1's first four bytes), the same whatever else is sampled.

    >>> hash_bucket("a001", 2) in (0, 1)
    True
    """
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:4], "big") % buckets


def load_squad(path: str | Path) -> EvalSet:
    """Load a SQuAD-format file: CMRC 2018 / DRCD style, or SQuAD 2.0 style with `is_impossible`.

    Paragraphs become documents keyed by their `id` (or "p<article>-<paragraph>" when they have none);
    identical paragraphs share one id. A gold `answer_start` that does not point at its text (CMRC 2018
    has some, DuReader uses -1) is replaced by the nearest occurrence of the text, or dropped when the
    text is not in the paragraph; the answer still counts for EM/F1. `kind` is the question's `type`
    when the file gives one (DuReader-checklist), else "answerable" / "unanswerable".
    """
    path = Path(path)
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise EvalDataError(f"{path}: bad JSON ({exc.msg} at line {exc.lineno})") from None
    articles = data.get("data") if isinstance(data, dict) else None
    if not isinstance(articles, list):
        raise EvalDataError(f"{path}: not a SQuAD-format file (no top-level 'data' list)")
    documents: dict[str, str] = {}
    pid_of_text: dict[str, str] = {}
    items: list[EvalItem] = []
    seen: set[str] = set()
    for ai, article in enumerate(articles):
        for pi, paragraph in enumerate(article.get("paragraphs", [])):
            where = f"{path}: data[{ai}].paragraphs[{pi}]"
            context = _require(paragraph, "context", str, where)
            pid = pid_of_text.get(context)
            if pid is None:
                pid = paragraph.get("id")
                if not isinstance(pid, str) or pid in documents:
                    pid = f"p{ai}-{pi}"
                documents[pid] = context
                pid_of_text[context] = pid
            for qi, qa in enumerate(_require(paragraph, "qas", list, where)):
                item = _squad_item(qa, context, pid, f"{where}.qas[{qi}]", f"{pid}-q{qi}")
                qid = item.id
                while qid in seen:  # some mirrors repeat ids; keep every question, each with its own id
                    qid += "+"
                seen.add(qid)
                items.append(replace(item, id=qid, split=squad_split(qid)))
    if not items:
        raise EvalDataError(f"{path}: no questions")
    return EvalSet(
        source="squad", path=str(path), items=tuple(items),
        documents=MappingProxyType(documents), total_items=len(items),
    )


def _squad_item(qa: dict, context: str, pid: str, where: str, fallback_id: str) -> EvalItem:
    question = _require(qa, "question", str, where)
    qid = qa.get("id")
    qid = str(qid) if qid not in (None, "") else fallback_id
    impossible = bool(qa.get("is_impossible", False))
    golds: list[tuple[str, int]] = []
    if not impossible:
        for answer in qa.get("answers", []):
            text = answer.get("text")
            if isinstance(text, str) and text.strip():
                golds.append((text, answer.get("answer_start", -1)))
    spans = []
    for text, start in golds:
        at = _locate(context, text, start if isinstance(start, int) else -1)
        if at is not None:
            spans.append(Span(at, at + len(text), pid))
    spans = list(dict.fromkeys(spans))
    answerable = bool(golds)
    kind = qa.get("type") if isinstance(qa.get("type"), str) else ("answerable" if answerable else "unanswerable")
    return EvalItem(
        id=qid, question=question, answers=tuple(dict.fromkeys(t for t, _ in golds)), kind=kind,
        split="report", answerable=answerable, answer_spans=tuple(spans),
        evidence_spans=tuple(dict.fromkeys(Span(s.start, s.start + 1, pid) for s in spans)), doc_id=pid,
    )


def _locate(context: str, text: str, start: int) -> int | None:
    if start >= 0 and context[start:start + len(text)] == text:
        return start
    offsets = _occurrences(context, text)
    return min(offsets, key=lambda o: abs(o - start)) if offsets else None


def sample_items(eval_set: EvalSet, n: int, seed: int = SAMPLE_SEED) -> EvalSet:
    """N answerable and N unanswerable questions (fewer when the file has fewer), in file order.

    >>> s = EvalSet("squad", "x", (EvalItem("a", "q?", ("x",), "answerable", "tune", True),))
    >>> len(sample_items(s, 5).items)
    1
    """
    if n < 1:
        raise EvalDataError(f"--sample must be at least 1, got {n}")
    rng = random.Random(seed)
    chosen: set[int] = set()
    for answerable in (True, False):
        pool = [i for i, item in enumerate(eval_set.items) if item.answerable is answerable]
        chosen.update(rng.sample(pool, min(n, len(pool))))
    items = tuple(item for i, item in enumerate(eval_set.items) if i in chosen)
    return replace(eval_set, items=items, sample=n, seed=seed)


def subset(eval_set: EvalSet, split: str = "all", limit: int | None = None) -> EvalSet:
    """Only the questions of one split ("tune", "report" or "all"), then only the first `limit` of them."""
    if split not in (*SPLITS, "all"):
        raise EvalDataError(f"split {split!r} is not one of tune, report, all")
    items = [item for item in eval_set.items if split == "all" or item.split == split]
    if limit is not None:
        if limit < 1:
            raise EvalDataError(f"--limit must be at least 1, got {limit}")
        items = items[:limit]
    if not items:
        raise EvalDataError(f"{eval_set.path}: no questions in split {split!r}")
    return replace(eval_set, items=tuple(items))
