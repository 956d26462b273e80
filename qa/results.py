"""What `qa.answer` returns: an `Answer` with its `Evidence`, small frozen dataclasses with character offsets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TypedDict


@dataclass(frozen=True)
class Evidence:
    """A sentence of the document that supports (or, for `found=False`, comes closest to) the answer.

    `start`/`end` index the document text as read from its file, so `source[start:end] == text`
    for every sentence that no page break cuts. A sentence cut by a page break or a photo caption
    is joined into one `text`; `pieces` then lists the source slices whose concatenation is `text`.
    """

    text: str
    start: int
    end: int
    score: float
    doc_id: str
    location: str  # where it sits, for people: "第2部分 · 第3段", "图片说明", "速览 · … · 第1段"
    section: str  # the heading of its section ("" when the document has none)
    paragraph: int  # 1-based paragraph number within its section
    paragraph_text: str
    paragraph_start: int
    paragraph_end: int
    pieces: tuple[tuple[int, int], ...]
    paragraph_pieces: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Answer:
    """The answer to one question.

    `text` is a span of the sentence `evidence[0]` ("" when `found` is False): the concatenation of the document's
    slices `pieces`, so `document[start:end] == text` unless a photo caption or page break cuts it, which `text` and
    `pieces` leave out. `start`/`end` enclose it in the document (None when not found). `score` in [0, 1] is the
    verifier's probability that the answer is right (`qa.verify`); `why` lists the features that moved it most, as
    (name, contribution to its logit), strongest first, for a declined question too.
    """

    question: str  # the question as answered (after cleaning and truncation)
    text: str
    found: bool
    score: float
    start: int | None
    end: int | None
    doc_id: str | None
    evidence: list[Evidence]
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    notes: list[str] = field(default_factory=list)  # e.g. "question truncated to 500 characters"
    method: str = ""  # who proposed the span ("rules", "reader", "rules+reader", "introduction", "")
    pieces: tuple[tuple[int, int], ...] = ()  # the document slices that make up `text`
    why: tuple[tuple[str, float], ...] = ()  # the verifier's strongest feature contributions

    def to_dict(self) -> AnswerDict:
        """A JSON-ready dict (tuples become lists on the way through JSON)."""
        return asdict(self)


class EvidenceDict(TypedDict):
    """`Evidence` as JSON: the schema the web app's `/ask` endpoint publishes."""

    text: str
    start: int
    end: int
    score: float
    doc_id: str
    location: str
    section: str
    paragraph: int
    paragraph_text: str
    paragraph_start: int
    paragraph_end: int
    pieces: list[list[int]]
    paragraph_pieces: list[list[int]]


class AnswerDict(TypedDict):
    """`Answer.to_dict()`: the schema the web app's `/ask` endpoint publishes."""

    question: str
    text: str
    found: bool
    score: float
    start: int | None
    end: int | None
    doc_id: str | None
    evidence: list[EvidenceDict]
    timings: dict[str, float]
    notes: list[str]
    method: str
    pieces: list[list[int]]
    why: list[list[str | float]]
