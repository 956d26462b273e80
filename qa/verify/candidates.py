"""Every span proposed for a question, each once: the span rules' best, the reader's top spans (and the typed core
and the phrase cores of each, `qa.boundaries.typed_core` and `phrase_cores`), and the text's introduction of the
person asked about (`qa.roles`).

A candidate lives in one sentence (corpus row) and is addressed in that sentence's text, so a span of a sentence that
a photo caption or a page break cut is its rejoined text, never the caption between its pieces. Every span is trimmed
as it would be shown (`qa.document.trim_span`); spans that the reader marks across two of the sentences it read
together are none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qa.boundaries import phrase_cores, typed_core
from qa.corpus import Corpus, JoinedPassage
from qa.document import trim_span
from qa.extractor import Candidate as RuleCandidate
from qa.question import Question
from qa.reader import ReaderResult

RULE_PROPOSALS = 6  # the rules' best candidates, over all the sentences they read
READER_PROPOSALS = 8  # the reader's best distinct spans


@dataclass(frozen=True)
class RuleProposal:
    """What the span rules say of a candidate: its calibrated score, its rank among their candidates and the
    sentence features they scored it with (`qa.extractor.FEATURES`)."""

    score: float
    rank: int
    features: dict


@dataclass(frozen=True)
class ReaderProposal:
    """What the reader says of a candidate: its rank among the reader's spans, their logit sum minus the reader's
    no-answer score (`margin`), their share of the reader's probability, and whether the candidate is a typed or
    phrase core cut out of a longer span of the reader's (`cut`)."""

    rank: int
    margin: float
    share: float
    cut: bool


@dataclass(frozen=True)
class Reading:
    """The reader's result over the passages it read (the top sentences of each document, joined)."""

    result: ReaderResult
    passages: tuple[JoinedPassage, ...]


@dataclass(frozen=True)
class SpanCandidate:
    """A proposed answer: `text == corpus.rows[row].sentence.text[start:end]`, with what each source said of it."""

    row: int
    start: int
    end: int
    text: str
    rules: RuleProposal | None = None
    reader: ReaderProposal | None = None
    introduction: bool = False

    @property
    def span_sources(self) -> frozenset[str]:
        """Which of the span finders proposed it: "rules", "reader" (the introduction is no span finder)."""
        return frozenset(name for name, said in (("rules", self.rules), ("reader", self.reader)) if said is not None)

    @property
    def method(self) -> str:
        """Who proposed it: "introduction", "rules+reader", "rules" or "reader"."""
        if self.introduction:
            return "introduction"
        return "+".join(name for name in ("rules", "reader") if name in self.span_sources)

    def overlaps(self, other: SpanCandidate) -> bool:
        return self.row == other.row and self.start < other.end and other.start < self.end


def propose(
    corpus: Corpus,
    question: Question,
    rules: list[RuleCandidate],
    reading: Reading | None,
    introduction: tuple[int, int, int] | None,
) -> list[SpanCandidate]:
    """The distinct candidates of one question, in the order first proposed (introduction, rules, reader).

    `introduction` is `qa.roles.answer_role`'s (row, source start, source end).
    """
    found: dict[tuple[int, int, int], SpanCandidate] = {}

    def add(row: int, start: int, end: int, **said) -> None:
        text = corpus.rows[row].sentence.text
        start, end = trim_span(text, start, end)
        if start >= end:
            return
        key = (row, start, end)
        known = found.get(key)
        if known is None:
            found[key] = SpanCandidate(row, start, end, text[start:end], **said)
            return
        kept = {name: value for name, value in said.items() if not getattr(known, name)}  # a source's best reading
        if kept:
            found[key] = replace(known, **kept)

    if introduction is not None:
        row, start, end = introduction
        sentence = corpus.rows[row].sentence
        add(row, sentence.text_offset(start), sentence.text_offset(end), introduction=True)
    for rank, candidate in enumerate(rules[:RULE_PROPOSALS]):
        add(candidate.row, candidate.start, candidate.end,
            rules=RuleProposal(candidate.score, rank, candidate.features))
    if reading is not None:
        result = reading.result
        for rank, span in enumerate(result.spans[:READER_PROPOSALS]):
            passage = reading.passages[span.passage]
            margin, share = span.score - result.null_score, result.probability_of(span)
            located = passage.locate(span.start, span.end)
            if located is None:
                continue  # across two of the sentences read together
            row, start, end = located
            add(row, start, end, reader=ReaderProposal(rank, margin, share, cut=False))
            trimmed = trim_span(passage.text, span.start, span.end)
            for core in (typed_core(question, passage.text, *trimmed), *phrase_cores(passage.text, *trimmed)):
                core_located = passage.locate(*core)
                if core_located is not None and core_located != located:
                    add(*core_located, reader=ReaderProposal(rank, margin, share, cut=True))
    return list(found.values())

