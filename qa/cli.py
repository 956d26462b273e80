"""The `qa` command: ask questions, build the index, run the evaluation, train the reader."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path

from qa.errors import QAError


def _format(result) -> str:
    if not result.found:
        lines = ["文章中没有提到这个问题的答案。 (The article does not say.)"]
        if result.evidence:
            lines.append(f"最接近的句子 [{result.evidence[0].location}]: {result.evidence[0].text}")
    else:
        evidence = result.evidence[0]
        lines = [
            f"答案: {result.text}",
            f"句子: {evidence.text}",
            f"位置: {evidence.location} (字符 {result.start}-{result.end}) · 置信度 {result.score:.2f}",
        ]
    lines.extend(f"注意: {note}" for note in result.notes)
    return "\n".join(lines)


def _explanation(answerer, question: str, shown: int = 3) -> str:
    """The verifier's view of a question: its threshold, the share it leaves to "no answer", and the best candidates
    with their strongest features (logit contributions, against no answer's 0)."""
    _, judged = answerer.judge(question)
    nothing = 1.0 - sum(j.verdict.probability for j in judged)
    lines = [f"判断依据 (verifier, threshold {answerer.threshold:.2f}; P(no answer) = {nothing:.3f}):"]
    if not judged:
        lines.append("  no candidate span")
    for rank, j in enumerate(judged[:shown], start=1):
        lines.append(f"  {rank}. {j.candidate.text}  [{j.candidate.method}]  P(right) = {j.verdict.probability:.3f}")
        lines.extend(
            f"       {value:+.2f}  {name} = {j.features[name]:.3g}" for name, value in j.verdict.strongest()
        )
    return "\n".join(lines)


def _ask(args: argparse.Namespace) -> int:
    from qa import model_registry

    model_registry.preload()  # the models load while the pipeline is imported and the article indexed
    from qa.pipeline import Answerer

    answerer = Answerer.for_article()
    questions = [args.question] if args.question is not None else [line.rstrip("\n") for line in sys.stdin]
    status = 0
    for question in questions:
        if args.question is None and not question.strip():
            continue  # blank lines between questions on stdin
        try:
            result = answerer.answer(question)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            status = 2
            continue
        if args.json:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            print(_format(result))
            if args.explain:
                print(_explanation(answerer, question))
            if len(questions) > 1:
                print()
    return status


def _index(args: argparse.Namespace) -> int:
    import shutil

    from qa.pipeline import Answerer
    from qa.settings import Settings

    settings = Settings()
    if args.force:
        shutil.rmtree(settings.resolved_index_dir(), ignore_errors=True)
    answerer = Answerer.for_article(settings)
    meta = answerer.retriever.dense.metadata
    print(f"index: {len(answerer.corpus)} sentences, model {meta.model_id}, built {meta.built_at} in {settings.resolved_index_dir()}")
    return 0


def _feedback_export(args: argparse.Namespace) -> int:
    from qa.feedback import FeedbackStore, export

    store = FeedbackStore(args.db)
    try:
        if args.out is None:
            count = export(store, sys.stdout)
        else:
            with open(args.out, "w", encoding="utf-8") as out:
                count = export(store, out)
    except (OSError, sqlite3.Error) as error:
        print(f"error: cannot export the feedback in {store.path}: {error}", file=sys.stderr)
        return 1
    print(f"{count} disputed answers from {store.path}" + (f" -> {args.out}" if args.out else ""), file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `qa eval …` and `qa train-reader …` hand their arguments to their own parsers.
    if argv and argv[0] == "eval":
        from eval.cli import main as eval_main

        return eval_main(argv[1:])
    if argv and argv[0] == "train-reader":
        from training.reader import main as train_main

        return train_main(argv[1:])
    if argv and argv[0] == "fit-verifier":
        from training.verifier import main as fit_main

        return fit_main(argv[1:])

    parser = argparse.ArgumentParser(prog="qa", description="Questions and answers about the Dalian livelihood article.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question (or one question per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read questions from stdin")
    ask.add_argument("--json", action="store_true", help="print the structured answer as JSON")
    ask.add_argument("--explain", action="store_true", help="also print the verifier's best candidates and why")
    ask.set_defaults(run=_ask)
    index = commands.add_parser("index", help="build the sentence index (or rebuild it with --force)")
    index.add_argument("--force", action="store_true", help="rebuild even when the index matches")
    index.set_defaults(run=_index)
    feedback = commands.add_parser("feedback", help="what citizens said of answers in the web chat")
    feedback_commands = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_commands.add_parser(
        "export", help="write the 👎 and 答案有误 answers as article-set rows (JSONL) for staff to complete"
    )
    export.add_argument("--db", type=Path, help="the feedback file (default: feedback.sqlite in the model cache)")
    export.add_argument("--out", type=Path, help="the JSONL file to write (default: standard output)")
    export.set_defaults(run=_feedback_export)
    commands.add_parser("eval", help="run an evaluation set (see `qa eval --help`)")
    commands.add_parser("train-reader", help="train the extractive reader (see `qa train-reader --help`)")
    commands.add_parser("fit-verifier", help="fit the answer verifier (see `qa fit-verifier --help`)")
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader of our output went away (`qa ask --json | head -1`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's final flush is quiet
        return 0


if __name__ == "__main__":
    sys.exit(main())
