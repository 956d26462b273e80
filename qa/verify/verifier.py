"""The fitted answer verifier: P(a candidate is the right answer) from its features, and each feature's share of it.

A linear softmax over a question's candidates and "no answer" (`qa fit-verifier`, training/verifier.py), stored with
its operating point and provenance in qa/data/verifier.json. A candidate's logit is the intercept plus each feature's
weight times its standardised value; no answer has logit 0. The candidates compete for one answer, and what none of
them takes is the chance the text does not say. A feature's contribution to the logit is what `explain` reports.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from qa.settings import PACKAGE_DIR

VERIFIER_FILE = PACKAGE_DIR / "data" / "verifier.json"


@dataclass(frozen=True)
class Verdict:
    """A candidate's probability of being right and the features that moved it most (logit contributions)."""

    probability: float
    contributions: tuple[tuple[str, float], ...]  # strongest first, by absolute value

    def strongest(self, n: int = 5) -> tuple[tuple[str, float], ...]:
        return self.contributions[:n]


class Verifier:
    """Scores a question's candidates (their feature dicts) with fitted weights.

    >>> v = Verifier(("a", "b"), (0.0, 1.0), (1.0, 2.0), (2.0, -1.0), 0.5, 0.4, {})
    >>> alone, = v.verdicts([{"a": 1.0, "b": 3.0}])
    >>> round(alone.probability, 3), alone.contributions
    (0.818, (('a', 2.0), ('b', -1.0)))
    >>> [round(verdict.probability, 3) for verdict in v.verdicts([{"a": 1.0, "b": 3.0}, {"a": 0.0, "b": 1.0}])]
    [0.629, 0.231]
    """

    def __init__(
        self,
        features: tuple[str, ...],
        means: tuple[float, ...],
        scales: tuple[float, ...],
        weights: tuple[float, ...],
        intercept: float,
        threshold: float,
        provenance: dict,
    ) -> None:
        if not len(features) == len(means) == len(scales) == len(weights):
            raise ValueError("a verifier needs one mean, scale and weight per feature")
        self.features = tuple(features)
        self.means, self.scales, self.weights = tuple(means), tuple(scales), tuple(weights)
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self.provenance = dict(provenance)

    @classmethod
    def load(cls, path: Path = VERIFIER_FILE) -> Verifier:
        """The verifier in `path` (written by `qa fit-verifier`); ValueError naming the file when it does not fit."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            model = data["model"]
            return cls(
                tuple(model["features"]), tuple(model["means"]), tuple(model["scales"]), tuple(model["weights"]),
                model["intercept"], data["threshold"], data.get("provenance", {}),
            )
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a verifier file ({error}); run `qa fit-verifier`") from error

    def to_dict(self) -> dict:
        return {
            "threshold": self.threshold,
            "model": {
                "kind": "linear softmax over a question's candidates and no answer (logit 0), standardised features",
                "features": list(self.features), "means": list(self.means), "scales": list(self.scales),
                "weights": list(self.weights), "intercept": self.intercept,
            },
            "provenance": self.provenance,
        }

    def check(self, names: tuple[str, ...]) -> None:
        """ValueError unless the verifier was fitted on exactly these features (a refit is due otherwise)."""
        if tuple(names) != self.features:
            missing, extra = set(names) - set(self.features), set(self.features) - set(names)
            raise ValueError(f"the verifier was fitted on other features (new: {sorted(missing)}, gone: {sorted(extra)}); "
                             "run `qa fit-verifier`")

    def contributions(self, features: dict[str, float]) -> list[tuple[str, float]]:
        return [
            (name, weight * (features[name] - mean) / scale)
            for name, mean, scale, weight in zip(self.features, self.means, self.scales, self.weights)
        ]

    def verdicts(self, candidates: list[dict[str, float]]) -> list[Verdict]:
        """One verdict per candidate of a question, in their order: its share of the softmax over them and no answer."""
        parts = [self.contributions(features) for features in candidates]
        logits = [self.intercept + sum(value for _, value in part) for part in parts]
        top = max([0.0, *logits])
        exps = [math.exp(logit - top) for logit in logits]
        total = sum(exps) + math.exp(-top)
        return [
            Verdict(e / total, tuple(sorted(((name, round(value, 4)) for name, value in part), key=lambda p: -abs(p[1]))))
            for e, part in zip(exps, parts)
        ]
