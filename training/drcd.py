"""DRCD (Traditional Chinese, SQuAD format) converted to Simplified Chinese for training the reader.

Paragraphs, questions and answers go through OpenCC's t2s; each answer's offset is found again in the converted
paragraph (the occurrence nearest to where the converted text before it ends, since phrase conversions can change
lengths), and an answer that no longer occurs is dropped, with its question when it has no other.

    python -m training.drcd ../shared/data/drcd/DRCD_dev.json ../shared/data/drcd/DRCD_test.json --out drcd-simplified.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import opencc


def locate(context: str, answer: str, near: int) -> int | None:
    """The start of the occurrence of `answer` in `context` nearest to `near`; None when it does not occur.

    >>> locate("甲乙甲乙", "甲乙", 3), locate("甲乙", "丙", 0)
    (2, None)
    """
    starts, found = [], context.find(answer)
    while found != -1:
        starts.append(found)
        found = context.find(answer, found + 1)
    return min(starts, key=lambda start: abs(start - near)) if starts else None


def convert(data: dict, converter: opencc.OpenCC) -> tuple[dict, dict[str, int]]:
    """The SQuAD-format `data` in Simplified Chinese, and counts of questions kept and answers dropped."""
    counts = {"questions": 0, "kept": 0, "answers_dropped": 0}
    articles = []
    for article in data["data"]:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            source = paragraph["context"]
            context = converter.convert(source)
            questions = []
            for qa in paragraph["qas"]:
                counts["questions"] += 1
                answers = []
                for answer in qa["answers"]:
                    text = converter.convert(answer["text"])
                    near = len(converter.convert(source[: answer["answer_start"]]))
                    start = locate(context, text, near) if text else None
                    if start is None:
                        counts["answers_dropped"] += 1
                        continue
                    answers.append({"text": text, "answer_start": start})
                if answers:
                    counts["kept"] += 1
                    questions.append({"id": qa["id"], "question": converter.convert(qa["question"]), "answers": answers})
            if questions:
                paragraphs.append({"id": paragraph.get("id"), "context": context, "qas": questions})
        if paragraphs:
            articles.append({"title": converter.convert(article.get("title", "")), "paragraphs": paragraphs})
    return {"version": data.get("version", ""), "data": articles}, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.drcd", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="DRCD SQuAD-format files (Traditional Chinese)")
    parser.add_argument("--out", type=Path, required=True, help="the Simplified SQuAD-format file to write")
    args = parser.parse_args(argv)
    converter = opencc.OpenCC("t2s")
    merged = {"version": "drcd-t2s", "data": []}
    for path in args.files:
        converted, counts = convert(json.loads(path.read_text(encoding="utf-8")), converter)
        merged["data"] += converted["data"]
        print(f"{path.name}: {counts['kept']} of {counts['questions']} questions kept, "
              f"{counts['answers_dropped']} answers dropped", file=sys.stderr)
    args.out.write_text(json.dumps(merged, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
