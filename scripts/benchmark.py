"""Benchmark of the answering pipeline on this machine: prints figures, asserts nothing.

    .venv/bin/python scripts/benchmark.py [--questions 100] [--large-text 5000000 [--large-kind gibberish]]

Figures: time from process start to the first answer (with a built index, in a fresh process); per-question latency
p50/p95 by stage after warm-up, for the shipped settings (the reader's int8 graph where the CPU multiplies int8
exactly) and its float32 graph on the same questions in this one process, with their ratio and how many answers they
share; a second `Answerer.from_texts` and its first answer once the models are loaded; index build time; peak resident
memory. `--large-text` also times `from_texts` over a text of that many bytes in a fresh process, and three answers
over it, with its peak memory.
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
LARGE_TEXT = """\
import random, re, resource, sys, time
from qa.article import read_article
from qa.pipeline import Answerer
size, kind = int(sys.argv[1]), sys.argv[2]
if kind == "gibberish":  # random letter words: the densest in tokens of the three (~0.55 a byte)
    rng = random.Random(0)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    parts, length = [], 0
    while length < size:
        parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(5, 25))).capitalize() + ". ")
        length += len(parts[-1])
    text = "".join(parts)
else:
    text = read_article() if kind == "article" else re.sub(r"[。！？；，、：“”‘’（）《》\\s]", "", read_article())
text = (text * (size // len(text.encode()) + 1)).encode()[:size].decode(errors="ignore")
started = time.perf_counter()
answerer = Answerer.from_texts({"large": text})
built = time.perf_counter() - started
seconds = []
for question in ("When did the Bohai Avenue open to traffic?", "2022年大连建成了多少处口袋公园？", "大连湾海底隧道通车后有什么好处？"):
    started = time.perf_counter()
    answerer.answer(question)
    seconds.append(time.perf_counter() - started)
print(json.dumps({"characters": len(text), "sentences": len(answerer.corpus), "build_s": built, "answers_s": seconds,
                  "encoder": answerer.retriever.dense.metadata.model_id,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def first_answer_seconds(question: str) -> float:
    """Wall time of a fresh interpreter that imports qa and answers `question` with the committed index."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from qa import answer; answer(sys.argv[1])", question],
                   check=True, cwd=REPO, capture_output=True)
    return time.perf_counter() - started


def answering_peak_mb(questions: list[str]) -> float:
    """Peak RSS of a fresh interpreter that answers `questions` as `qa.answer` does (the shipped settings)."""
    script = ("import json, resource, sys\nfrom qa import answer\nfor q in json.load(sys.stdin): answer(q)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(questions), check=True, cwd=REPO,
                          capture_output=True, text=True)
    return float(done.stdout.splitlines()[-1])


def cpu_description() -> str:
    """The CPU's model, core count and the vector instructions ONNX Runtime's kernels use: the figures depend on them
    (the same code ran twice as fast on an AVX-512 machine as on an AVX2 one: docs/benchmark.md)."""
    from qa.onnx_runtime import cpu

    model, flags = cpu()
    shown = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_tile", "amx_int8")
    vector = [flag for flag in shown if flag in flags]
    return f"{model or platform.machine()}, {os.cpu_count()} cores, {' '.join(vector) or 'no AVX2'}"


def latencies(answerer, questions: list[str]) -> tuple[dict[str, list[float]], list[str]]:
    """Milliseconds per stage for each question (after a warm-up), and the answers given."""
    for question in questions[:5]:
        answerer.answer(question)
    timings: dict[str, list[float]] = {}
    answers = []
    for question in questions:
        answer = answerer.answer(question)
        answers.append(answer.text)
        for stage, seconds in answer.timings.items():
            timings.setdefault(stage, []).append(seconds * 1000)
    return timings, answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100, help="how many questions of eval/questions.jsonl to time")
    parser.add_argument("--large-text", type=int, metavar="BYTES", help="also time from_texts over a text this large")
    parser.add_argument("--large-kind", choices=("article", "bare", "gibberish"), default="article",
                        help="the large text: the article copied, the same without punctuation or spaces, or random "
                             "letter words")
    args = parser.parse_args(argv)

    from qa.article import read_article
    from qa.onnx_runtime import exact_int8_products
    from qa.pipeline import Answerer
    from qa.settings import Settings

    print(f"CPU: {cpu_description()}")
    for question in FIRST_QUESTIONS:
        print(f"cold start to first answer: {first_answer_seconds(question):.2f} s for {question} "
              "(fresh process, index already built)")

    lines = (REPO / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines][: args.questions]
    print(f"peak RSS answering {len(questions)} questions in a fresh process: {answering_peak_mb(questions):.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        shipped = Answerer.for_article(Settings(index_dir=Path(tmp)))
        print(f"index build (incl. model load): {time.perf_counter() - started:.2f} s; "
              f"embedding alone: {shipped.retriever.dense.metadata.build_seconds:.2f} s for {len(shipped.corpus)} sentences")
        fp32 = Answerer.for_article(Settings(index_dir=Path(tmp), quantized=False))
        paths = {"shipped settings": latencies(shipped, questions), "float32 reader": latencies(fp32, questions)}
    if not exact_int8_products():
        print("this CPU's int8 products saturate: the shipped settings read with the float32 graph too (docs/benchmark.md)")
    print(f"latency over {len(questions)} questions after warm-up, ms (p50 / p95):")
    print(f"  {'stage':9s} " + "  ".join(f"{name:>17s}" for name in paths))
    for stage in paths["shipped settings"][0]:
        cells = [f"{np.percentile(t[stage], 50):7.1f} / {np.percentile(t[stage], 95):7.1f}" for t, _ in paths.values()]
        print(f"  {stage:9s} " + "  ".join(f"{cell:>17s}" for cell in cells))
    (fast, fast_answers), (slow, slow_answers) = paths.values()
    print(f"float32 / shipped total: p50 {np.percentile(slow['total'], 50) / np.percentile(fast['total'], 50):.2f}x, "
          f"p95 {np.percentile(slow['total'], 95) / np.percentile(fast['total'], 95):.2f}x; "
          f"same answer on {sum(a == b for a, b in zip(fast_answers, slow_answers))} of {len(questions)} questions")

    text = read_article()[2000:2600]
    started = time.perf_counter()
    answerer = Answerer.from_texts({"paragraph": text})
    answerer.answer("这段话说了什么？")
    print(f"a further from_texts over {len(text)} characters plus its first answer: {time.perf_counter() - started:.2f} s")
    print(f"peak RSS of this process (both readers, two answerers): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    if args.large_text:
        done = subprocess.run([sys.executable, "-c", "import json\n" + LARGE_TEXT, str(args.large_text), args.large_kind],
                              check=True, cwd=REPO, capture_output=True, text=True)
        large = json.loads(done.stdout.splitlines()[-1])
        print(f"from_texts over {args.large_text} bytes of {args.large_kind} ({large['characters']} characters, "
              f"{large['sentences']} sentences), fresh process: {large['build_s']:.1f} s, then answers in "
              f"{' / '.join(f'{s:.2f}' for s in large['answers_s'])} s, peak RSS {large['peak_mb']:.0f} MB, "
              f"encoder {large['encoder']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
