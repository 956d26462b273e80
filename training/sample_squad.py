"""A seeded sample of whole paragraphs of SQuAD-format files, as one file: what a reader trained further on new data
reads again of its old data, so that it does not forget it.

    python -m training.sample_squad ../shared/data/cmrc2018/cmrc2018_train.json:1200 drcd-simplified.json:600 \\
        --out replay.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

SEED = 7
SAMPLE_VERSION = "sample"  # the file's "version": its articles are the sampled sources, titled by file name

Group = TypeVar("Group")


def leading_groups(groups: list[Group], size: Callable[[Group], int], questions: int) -> list[Group]:
    """The first groups (paragraphs) of `groups`, whole, until they hold at least `questions` questions.

    >>> leading_groups(["ab", "c", "de"], len, 3)
    ['ab', 'c']
    """
    kept, count = [], 0
    for group in groups:
        if count >= questions:
            break
        kept.append(group)
        count += size(group)
    return kept


def sample_paragraphs(data: dict, questions: int, rng: random.Random) -> list[dict]:
    """Whole paragraphs of `data`, shuffled by `rng`, until they hold at least `questions` questions.

    >>> data = {"data": [{"paragraphs": [{"context": c, "qas": [{"id": c}]} for c in "abc"]}]}
    >>> len(sample_paragraphs(data, 2, random.Random(0)))
    2
    """
    paragraphs = [paragraph for article in data["data"] for paragraph in article["paragraphs"]]
    rng.shuffle(paragraphs)
    return leading_groups(paragraphs, lambda paragraph: len(paragraph["qas"]), questions)


def sample(sources: list[tuple[Path, int]], seed: int = SEED) -> dict:
    """One SQuAD-format file holding a sample of each source (each drawn with its own generator seeded `seed`, so
    that a source's sample does not depend on the others), titled by the source's file name."""
    data = []
    for path, questions in sources:
        squad = json.loads(path.read_text(encoding="utf-8"))
        data.append({"title": path.name, "paragraphs": sample_paragraphs(squad, questions, random.Random(seed))})
    return {"version": SAMPLE_VERSION, "data": data}


def path_and_number(text: str, number: Callable[[str], float], default: float | None = None) -> tuple[Path, float]:
    """"FILE:N" -> (FILE, number(N)); a FILE without a number after its last colon -> (FILE, `default`), or an
    argparse error when there is no default."""
    path, _, suffix = text.rpartition(":")
    if path:
        try:
            return Path(path), number(suffix)
        except ValueError:
            pass
    if default is None:
        raise argparse.ArgumentTypeError(f"{text!r}: expected FILE:NUMBER")
    return Path(text), default


def _questions(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{text!r} is not a count of questions")
    return int(text)


def _source(text: str) -> tuple[Path, int]:
    return path_and_number(text, _questions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.sample_squad", description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", type=_source, nargs="+", metavar="FILE:QUESTIONS")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    data = sample(args.sources, args.seed)
    args.out.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    for article in data["data"]:
        count = sum(len(p["qas"]) for p in article["paragraphs"])
        print(f"{article['title']}: {len(article['paragraphs'])} paragraphs, {count} questions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
