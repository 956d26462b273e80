"""Fit the span-rule weights (qa/extractor.py WEIGHTS) by logistic regression on the TUNING split only.

    .venv/bin/python scripts/fit_rule_weights.py [--l2 0.01]

Every candidate the rules produce for a tuning question is one example, labelled 1 when it equals a gold answer
(CMRC exact match). Unanswerable questions contribute only negatives. Prints the weights to paste into WEIGHTS.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from eval.datasets import load_article_set
from eval.metrics import exact_match
from qa.extractor import FEATURES
from qa.pipeline import Answerer
from qa.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def examples(answerer: Answerer, items) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for item in items:
        for candidate in answerer.candidates(item.question):
            rows.append([candidate.features.get(name, 0.0) for name in FEATURES])
            labels.append(exact_match(candidate.text, item.answers) if item.answers else 0.0)
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.float64)


def fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 20000, lr: float = 0.5) -> np.ndarray:
    """Plain gradient descent on the mean log loss with an L2 penalty (not on the bias)."""
    x1 = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x1.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x1 @ w)))
        grad = x1.T @ (p - y) / len(y)
        grad[1:] += l2 * w[1:]
        w -= lr * grad
    return w


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=0.01)
    args = parser.parse_args(argv)
    items = [item for item in load_article_set(REPO / "eval" / "questions.jsonl").items if item.split == "tune"]
    with tempfile.TemporaryDirectory() as tmp:
        answerer = Answerer.for_article(Settings(index_dir=Path(tmp), answer_threshold=0.0))
        x, y = examples(answerer, items)
    print(f"{len(items)} tuning questions, {len(y)} candidates, {int(y.sum())} right", file=sys.stderr)
    w = fit(x, y, args.l2)
    weights = {"bias": round(float(w[0]), 2)} | {name: round(float(v), 2) for name, v in zip(FEATURES, w[1:])}
    print(json.dumps(weights, indent=4))
    return 0


if __name__ == "__main__":
    sys.exit(main())
