"""Benchmark of the answering pipeline on this machine: prints figures, asserts nothing.

    .venv/bin/python scripts/benchmark.py [--questions 100]

Figures: time from process start to the first answer (with a built index, in a fresh process), per-question
latency p50/p95 by stage after warm-up, index build time, and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# A typed question the rules answer alone, and a phrase question that also loads and runs the reader.
FIRST_QUESTIONS = ("2022年大连建成了多少处口袋公园？", "大连湾海底隧道通车后有什么好处？")


def first_answer_seconds(question: str) -> float:
    """Wall time of a fresh interpreter that imports qa and answers `question` with the committed index."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from qa import answer; answer(sys.argv[1])", question],
                   check=True, cwd=REPO, capture_output=True)
    return time.perf_counter() - started


def cpu_description() -> str:
    """The CPU's model, core count and the vector instructions ONNX Runtime's kernels use: the figures depend on them
    (README, "Benchmark": the same code ran twice as fast on an AVX-512 machine as on an AVX2 one)."""
    from eval.report import cpu

    model, flags = cpu()
    vector = [flag for flag in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile") if flag in flags]
    return f"{model or platform.machine()}, {os.cpu_count()} cores, {' '.join(vector) or 'no AVX2'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100, help="how many questions of eval/questions.jsonl to time")
    parser.add_argument("--no-reader", action="store_true", help="time the span rules alone (Settings(use_reader=False))")
    args = parser.parse_args(argv)

    from qa.pipeline import Answerer
    from qa.settings import Settings

    print(f"CPU: {cpu_description()}")
    for question in FIRST_QUESTIONS:
        print(f"cold start to first answer: {first_answer_seconds(question):.2f} s for {question} "
              "(fresh process, index already built)")

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        answerer = Answerer.for_article(Settings(index_dir=Path(tmp), use_reader=not args.no_reader))
        print(f"index build (incl. model load): {time.perf_counter() - started:.2f} s; "
              f"embedding alone: {answerer.retriever.dense.metadata.build_seconds:.2f} s "
              f"for {len(answerer.corpus)} sentences")

    lines = (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines][: args.questions]
    for question in questions[:5]:
        answerer.answer(question)  # warm-up
    timings: dict[str, list[float]] = {}
    for question in questions:
        for stage, seconds in answerer.answer(question).timings.items():
            timings.setdefault(stage, []).append(seconds * 1000)
    print(f"latency over {len(questions)} questions after warm-up (ms):")
    for stage, values in timings.items():
        print(f"  {stage:9s} p50 {np.percentile(values, 50):7.1f}  p95 {np.percentile(values, 95):7.1f}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
