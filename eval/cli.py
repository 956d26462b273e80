"""Command line of the evaluation: `python -m eval` (and `qa eval`, which forwards its arguments here)."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from eval.datasets import ARTICLE_SET, EvalDataError, load_article_set, load_squad, sample_items, subset
from eval.report import build_report, environment, write_report
from eval.runner import AnswererFactory, run_set
from qa.errors import QAError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = PACKAGE_DIR / "reports"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval",
        description="Evaluate the question answerer on the article question set or a SQuAD-format file.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--set", type=Path, help=f"article question set, jsonl (default: {ARTICLE_SET})")
    source.add_argument("--squad", type=Path, metavar="FILE", help="SQuAD-format file (CMRC 2018, SQuAD 2.0 style)")
    parser.add_argument("--mode", choices=("reader", "reader-only", "open"),
                        help="with --squad: reader = each question's own paragraph only (default); "
                             "reader-only = the trained reader alone reads each whole paragraph (no retrieval, "
                             "rules or abstention: the protocol of published CMRC figures); "
                             "open = one index over every paragraph of the file")
    parser.add_argument("--sample", type=_positive, metavar="N",
                        help="with --squad: N answerable and N unanswerable questions, fixed seed")
    parser.add_argument("--limit", type=_positive, metavar="N", help="only the first N questions (quick runs)")
    parser.add_argument("--split", choices=("tune", "report", "all"), default="all",
                        help="which questions to run (default all, with figures per split)")
    parser.add_argument("--name", help="report name (default: article, or <file>-<mode>[-sampleN][-split][-limitN])")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"report folder (default: {DEFAULT_OUT})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def default_name(args: argparse.Namespace) -> str:
    """"article" for the article set, "<file stem>-<mode>" for a SQuAD file, plus what narrows the run.

    Narrowed runs get their own name so that a quick run never replaces (or compares with) a full one.
    """
    name = "article" if args.squad is None else f"{args.squad.stem}-{args.mode or 'reader'}"
    if args.sample:
        name += f"-sample{args.sample}"
    if args.split != "all":
        name += f"-{args.split}"
    if args.limit:
        name += f"-limit{args.limit}"
    return name


def main(argv: list[str] | None = None, factory: AnswererFactory | None = None) -> int:
    """Run one evaluation and write its report; returns the exit status.

    >>> main(["--squad", "missing.json"])  # doctest: +SKIP
    eval: error: file not found: missing.json
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.squad is None and (args.mode or args.sample):
        parser.error("--mode and --sample apply to --squad files only")
    if args.name is not None and (not args.name or Path(args.name).name != args.name):
        parser.error(f"--name must be a plain file name, got {args.name!r}")
    try:
        if args.squad is not None:
            eval_set = load_squad(args.squad)
            if args.sample:
                eval_set = sample_items(eval_set, args.sample)
        else:
            eval_set = load_article_set(args.set if args.set is not None else ARTICLE_SET)
        eval_set = subset(eval_set, args.split, args.limit)
    except EvalDataError as exc:
        print(f"eval: error: {exc}", file=sys.stderr)
        return 2
    mode = "article" if args.squad is None else (args.mode or "reader")
    env = environment()  # the commit that runs, before the run writes its own report files into the tree
    try:
        run = run_set(eval_set, mode, factory=factory, progress=not args.no_progress)
    except QAError as exc:
        print(f"eval: error: {exc}", file=sys.stderr)
        return 1
    name = args.name or default_name(args)
    report = write_report(build_report(name, eval_set, run, split=args.split, limit=args.limit, env=env), args.out)
    markdown = args.out / f"{name}.md"
    whole_article_set = mode == "article" and args.split == "all" and args.limit is None
    if whole_article_set:
        shutil.copyfile(markdown, args.out / "latest.md")
    headline = report["metrics"]["default"]["all"]
    print(f"{name}: {headline['questions']} questions, EM {100 * headline['em']:.1f}, F1 {100 * headline['f1']:.1f} "
          f"at threshold {run.default_threshold:.3f} -> {markdown}")
    return 0
