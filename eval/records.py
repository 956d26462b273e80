"""What the runner keeps of one answered question: a frozen `Record`, scored later at any threshold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class EvidenceRef:
    """Where one evidence sentence of an answer sits, best first in `Record.evidence`."""

    doc_id: str | None
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Record:
    """One question, its golds, and the system's best candidate when run with threshold 0.

    `em`/`f1` score the candidate `prediction` against the golds (0 for unanswerable questions);
    whether the candidate is shown at a threshold t is decided later: `found and score >= t`.
    """

    id: str
    question: str
    kind: str
    split: str
    answerable: bool
    answers: tuple[str, ...]
    prediction: str  # the best candidate ("" when the system had none)
    found: bool  # the system had a candidate at all
    score: float
    start: int | None
    end: int | None
    doc_id: str | None
    em: float
    f1: float
    overlaps_gold: bool  # the candidate shares characters with a gold answer at its place
    retrieval_known: bool  # the item says where its gold sentence is
    gold_rank: int | None  # 1-based rank of the first evidence sentence holding the gold; None: missed
    evidence: tuple[EvidenceRef, ...]
    timings: Mapping[str, float]  # seconds per stage, as the answerer reported them
    wall_s: float  # seconds around the whole `answer()` call, measured by the runner
    why: tuple[tuple[str, float], ...] = ()  # the verifier's strongest feature contributions to `score`

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        data = asdict(self)
        data["timings"] = dict(self.timings)
        return data
