"""Fit the span-rule weights (qa/extractor.py WEIGHTS) by logistic regression on the TUNING split only.

    .venv/bin/python scripts/fit_rule_weights.py [--l2 0.02]

Every candidate the rules produce for a tuning question is one example, labelled 1 when it equals a gold answer
(CMRC exact match). Unanswerable questions contribute only negatives. Writes them, with the calibration, to
qa/data/rule_weights.json (what qa/extractor.py loads).
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
from qa.extractor import FEATURES, RULE_WEIGHTS_FILE, load_rule_weights
from qa.model_cache import write_atomically
from qa.pipeline import Answerer
from qa.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def examples(answerer: Answerer, items) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per question: its candidates' feature rows and labels (1 = equals a gold answer)."""
    out = []
    for item in items:
        candidates = answerer.candidates(item.question)
        rows = [[c.features.get(name, 0.0) for name in FEATURES] for c in candidates]
        labels = [exact_match(c.text, item.answers) if item.answers else 0.0 for c in candidates]
        out.append((np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), np.array(labels, dtype=np.float64)))
    return out


# Prior weights, set by hand before looking at data: a question's names, numbers and rare words that the context
# lacks are strong evidence against an answer. With ~100 tuning questions the data only moves the weights from here.
PRIOR = {
    "bias": -4.0, "match": 4.0, "missing": -3.0, "missing_entity": -4.0, "proximity": 1.5, "slot": 2.0,
    "dense": 1.5, "rank": 1.0, "quoted": 1.0, "clause": -1.5, "clause_overlap": -3.0,
}


def fit(x: np.ndarray, y: np.ndarray, l2: float, prior: np.ndarray | None = None, steps: int = 20000, lr: float = 0.5) -> np.ndarray:
    """Logistic regression by gradient descent on the mean log loss plus l2 * |w - prior|^2 (the bias is free)."""
    x1 = np.hstack([np.ones((len(x), 1)), x])
    w0 = np.zeros(x1.shape[1]) if prior is None else prior.astype(np.float64)
    w = w0.copy()
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x1 @ w)))
        grad = x1.T @ (p - y) / len(y)
        grad[1:] += l2 * (w[1:] - w0[1:])
        w -= lr * grad
    return w


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, default=0.02, help="pull towards PRIOR (larger: closer to it)")
    args = parser.parse_args(argv)
    items = [item for item in load_article_set(REPO / "eval" / "questions.jsonl").items if item.split == "tune"]
    with tempfile.TemporaryDirectory() as tmp:
        answerer = Answerer.for_article(Settings(index_dir=Path(tmp), answer_threshold=0.0))
        per_question = examples(answerer, items)
    x = np.vstack([rows for rows, _ in per_question])
    y = np.concatenate([labels for _, labels in per_question])
    print(f"{len(items)} tuning questions, {len(y)} candidates, {int(y.sum())} right", file=sys.stderr)
    prior = np.array([PRIOR["bias"]] + [PRIOR[name] for name in FEATURES])
    w = np.round(fit(x, y, args.l2, prior), 2)
    weights = {"bias": float(w[0])} | {name: float(v) for name, v in zip(FEATURES, w[1:])}

    # Platt scaling of the best candidate's logit against "that candidate is right" (no candidate: skipped).
    best_logits, best_right = [], []
    for rows, labels in per_question:
        if len(rows):
            logits = w[0] + rows @ w[1:]
            best = int(np.argmax(logits))
            best_logits.append(logits[best])
            best_right.append(labels[best])
    a, b = fit(np.array(best_logits).reshape(-1, 1), np.array(best_right), l2=0.0)[::-1]
    fitted = {
        "fitted_by": f"scripts/fit_rule_weights.py --l2 {args.l2} (pulled towards its PRIOR)",
        "tuning_questions": len(items),
        "candidates": len(y),
        "weights": weights,
        "calibration": [round(float(a), 3), round(float(b), 3)],
    }
    def write(temporary: Path) -> None:
        temporary.write_text(json.dumps(fitted, indent=2) + "\n", encoding="utf-8")
        load_rule_weights(temporary)  # refuse to replace the shipped file with one the extractor cannot read

    write_atomically(RULE_WEIGHTS_FILE, write)
    print(json.dumps(fitted, indent=2))
    print(f"written to {RULE_WEIGHTS_FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
