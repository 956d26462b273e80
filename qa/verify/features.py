"""Each candidate described by named numbers: what its sources said of it, how well its sentence matches the question,
what the answer checks (`qa.labels`, `qa.support`, `qa.rules.fits_kind`, `qa.boundaries`) say of it, its form, and the
question's kind. Every check is a feature here, not a penalty: the verifier weighs it.

Each feature is a function of (`Context`, `SpanCandidate`) registered under its name with `@feature`; `FEATURES` lists
the names in order and `describe` computes all of them. No feature holds an article-specific word.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.boundaries import completes
from qa.corpus import Corpus
from qa.extractor import DENSE_FLOOR, DENSE_CEIL, RuleExtractor, Terms, anchors, proximity, rescale, slot_fit, term_positions
from qa.labels import mislabelled
from qa.question import DATE, DURATION, NUMBER, ORG, PERSON, PHRASE, PLACE, Question
from qa.retriever import Hit
from qa.rules import QUOTED_RE, candidates, fits_kind
from qa.support import Support
from qa.verify.candidates import Reading, SpanCandidate

KINDS = (NUMBER, DATE, DURATION, PERSON, PLACE, ORG, PHRASE)  # the others (named, list) share the baseline
MARGIN_SCALE = 10.0  # reader logits: margins of right answers run about 5 to 20
NOT_READ = -1.0  # the reader's margin, scaled, of a candidate it did not propose
_CLAUSE_MARK_RE = re.compile(r"[，,；;。！？!?：:]")


@dataclass
class Context:
    """What the features of one question's candidates read: the question, its terms, the retrieved sentences, the
    reader's result and the corpus with its checks. Built once per question by the pipeline."""

    question: Question
    terms: Terms
    hits: list[Hit]
    reading: Reading | None
    candidates: list[SpanCandidate]
    corpus: Corpus
    extractor: RuleExtractor
    support: Support
    names: list[tuple[str, ...]]  # an English question's names in Chinese words (`Glossary.names`); [] for Chinese
    _hit_rank: dict[int, int] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._hit_rank = {hit.row: rank for rank, hit in enumerate(self.hits)}

    def hit_of(self, row: int) -> tuple[int, Hit] | None:
        """The retrieval rank and hit of `row`, or of the caption before it for a credit line (read with it)."""
        for candidate_row in (row, row - 1):
            rank = self._hit_rank.get(candidate_row)
            if rank is not None:
                return rank, self.hits[rank]
        return None

    @functools.cached_property
    def reader_first(self) -> SpanCandidate | None:
        return next((c for c in self.candidates if c.reader is not None and c.reader.rank == 0 and not c.reader.cut),
                    None)

    @functools.cached_property
    def absent(self) -> float:
        return self.extractor.absent(self.terms)

    def sentence(self, candidate: SpanCandidate) -> str:
        return self.corpus.rows[candidate.row].sentence.text

    def paragraph(self, candidate: SpanCandidate) -> str:
        return self.corpus.paragraph_around(candidate.row)

    @property
    def best_margin(self) -> float:
        """The reader's margin for its best span: how answerable the question looks to it."""
        if self.reading is None or self.reading.result.best is None:
            return NOT_READ * MARGIN_SCALE
        return self.reading.result.best.score - self.reading.result.null_score


Feature = Callable[[Context, SpanCandidate], float]
_REGISTRY: dict[str, Feature] = {}


def feature(function: Feature) -> Feature:
    """Register `function` as the feature of its own name."""
    _REGISTRY[function.__name__] = function
    return function


def _clipped_margin(margin: float) -> float:
    return max(-2.0, min(2.0, margin / MARGIN_SCALE))


# What the sources said.
@feature
def from_rules(ctx: Context, c: SpanCandidate) -> float:
    return float(c.rules is not None)


@feature
def rules_score(ctx: Context, c: SpanCandidate) -> float:
    """The rules' calibrated score of this span (`qa.extractor`); 0 when they did not propose it."""
    return c.rules.score if c.rules is not None else 0.0


@feature
def rules_first(ctx: Context, c: SpanCandidate) -> float:
    return float(c.rules is not None and c.rules.rank == 0)


@feature
def from_reader(ctx: Context, c: SpanCandidate) -> float:
    return float(c.reader is not None)


@feature
def reader_margin(ctx: Context, c: SpanCandidate) -> float:
    """The reader's span score minus its no-answer score, scaled; `NOT_READ` when it did not propose the span."""
    return _clipped_margin(c.reader.margin) if c.reader is not None else NOT_READ


@feature
def reader_share(ctx: Context, c: SpanCandidate) -> float:
    """The span's share of the reader's probability (against the other passages' best spans and no answer)."""
    return c.reader.share if c.reader is not None else 0.0


@feature
def reader_first(ctx: Context, c: SpanCandidate) -> float:
    return float(c.reader is not None and c.reader.rank == 0 and not c.reader.cut)


@feature
def reader_rank(ctx: Context, c: SpanCandidate) -> float:
    """1 / (1 + the span's rank among the reader's spans); 0 when it did not propose it."""
    return 1.0 / (1.0 + c.reader.rank) if c.reader is not None else 0.0


@feature
def reader_cut(ctx: Context, c: SpanCandidate) -> float:
    """The typed core of a longer span of the reader's (702个 of 702个村全部完成…)."""
    return float(c.reader is not None and c.reader.cut)


@feature
def reader_best_margin(ctx: Context, c: SpanCandidate) -> float:
    """The reader's margin for its best span, whatever the candidate: how answerable the question looks."""
    return _clipped_margin(ctx.best_margin)


@feature
def reader_overlap_margin(ctx: Context, c: SpanCandidate) -> float:
    """The best margin of a reader span that overlaps this candidate (the reader agrees with where it is)."""
    margins = [o.reader.margin for o in ctx.candidates if o.reader is not None and o.overlaps(c)]
    return _clipped_margin(max(margins)) if margins else NOT_READ


@feature
def inside_reader_first(ctx: Context, c: SpanCandidate) -> float:
    """The span lies strictly inside the reader's first span (a shorter answer than the clause it marks)."""
    first = ctx.reader_first
    return float(first is not None and first is not c and first.row == c.row
                 and first.start <= c.start and c.end <= first.end)


@feature
def holds_rules_span(ctx: Context, c: SpanCandidate) -> float:
    """The span strictly holds one of the rules' spans (a clause around a typed answer)."""
    return float(any(o.rules is not None and o is not c and o.row == c.row and c.start <= o.start and o.end <= c.end
                     for o in ctx.candidates))


@feature
def from_introduction(ctx: Context, c: SpanCandidate) -> float:
    return float(c.introduction)


@feature
def sources_agree(ctx: Context, c: SpanCandidate) -> float:
    """Another source proposed an overlapping span (the rules and the reader point at the same place)."""
    both = len(c.span_sources) == 2
    return float(any(o is not c and o.overlaps(c) and (both or o.span_sources - c.span_sources) for o in ctx.candidates))


# Where its sentence ranks and how well it matches the question.
@feature
def sentence_rank(ctx: Context, c: SpanCandidate) -> float:
    """1 / (1 + the sentence's rank in fused retrieval); 0 when it was not retrieved."""
    found = ctx.hit_of(c.row)
    return 1.0 / (1.0 + found[0]) if found is not None else 0.0


@feature
def dense(ctx: Context, c: SpanCandidate) -> float:
    found = ctx.hit_of(c.row)
    if found is None or found[1].dense_score is None:
        return 0.0
    return rescale(found[1].dense_score, DENSE_FLOOR, DENSE_CEIL)


@feature
def keyword_hit(ctx: Context, c: SpanCandidate) -> float:
    """The sentence is among BM25's candidates."""
    found = ctx.hit_of(c.row)
    return float(found is not None and found[1].keyword_score is not None)


@feature
def match(ctx: Context, c: SpanCandidate) -> float:
    """The IDF-weighted share of the question's terms in the sentence (half for those only in its paragraph)."""
    return ctx.extractor.coverage(ctx.terms, ctx.sentence(c), ctx.paragraph(c))


@feature
def missing_term(ctx: Context, c: SpanCandidate) -> float:
    """The relative IDF of the most specific question term that neither the sentence nor its paragraph holds."""
    return ctx.extractor.missing(ctx.terms, ctx.sentence(c) + ctx.paragraph(c))


@feature
def absent_from_corpus(ctx: Context, c: SpanCandidate) -> float:
    """The relative IDF of the most specific question term that no sentence of the corpus holds (the question is
    about something the text never mentions), whatever the candidate."""
    return ctx.absent


@feature
def missing_name(ctx: Context, c: SpanCandidate) -> float:
    """The paragraph (with its heading) lacks a name or number of the question (`qa.support`)."""
    return float(ctx.support.missing_name(ctx.question, c.row, ctx.names))


@feature
def proximity_to_terms(ctx: Context, c: SpanCandidate) -> float:
    """exp(-distance / 12 characters) from the span to the nearest question term outside it."""
    return proximity(c, term_positions(ctx.terms, ctx.sentence(c)))


@feature
def fills_slot(ctx: Context, c: SpanCandidate) -> float:
    """How well the span sits between the words around the question word ("下足了什么功夫" ~ 下足“绣花”功夫)."""
    return slot_fit(c, *anchors(ctx.question.slot, ctx.sentence(c)))


# What the answer checks say.
@feature
def fits_asked_form(ctx: Context, c: SpanCandidate) -> float:
    """`fits_kind`: the span has the form asked (a day for 哪一天, a name for 谁, within one clause for a number)."""
    return float(fits_kind(ctx.question, c.text))


@feature
def labelled_otherwise(ctx: Context, c: SpanCandidate) -> float:
    """`qa.labels.mislabelled`: the span's own clause calls it something else than asked (时速 for 全长)."""
    return float(mislabelled(ctx.question, ctx.sentence(c), c.start, c.end))


@feature
def counts_other_matter(ctx: Context, c: SpanCandidate) -> float:
    """`qa.support`: a count or measure in a sentence holding none of the question's specific words."""
    return float(ctx.support.count_for_other_matter(ctx.question, c.row))


@feature
def other_year(ctx: Context, c: SpanCandidate) -> float:
    """`qa.support`: the question names one year, the sentence names others only."""
    return float(ctx.support.other_year(ctx.question, c.row))


@feature
def completes_rules_name(ctx: Context, c: SpanCandidate) -> float:
    """`qa.boundaries.completes`: the span is the rules' first name, place or body made whole (熊谷元直 for 熊谷元)."""
    first = next((o for o in ctx.candidates if o.rules is not None and o.rules.rank == 0), None)
    if first is None or first is c or first.row != c.row:
        return 0.0
    return float(completes(ctx.question, first.text, c.text))


# Its form.
@feature
def length(ctx: Context, c: SpanCandidate) -> float:
    return math.log1p(len(c.text))


@feature
def typed_whole(ctx: Context, c: SpanCandidate) -> float:
    """The span is exactly one span of the asked form that the rules would cut (112处, 2022年6月30日, 孙磊)."""
    spans = candidates(ctx.question, c.text)
    return float(len(spans) == 1 and (spans[0].start, spans[0].end) == (0, len(c.text)))


@feature
def typed_inside(ctx: Context, c: SpanCandidate) -> float:
    """How many spans of the asked form the span holds, log-scaled (a list of three figures for one figure)."""
    return math.log1p(len(candidates(ctx.question, c.text)))


@feature
def holds_question_term(ctx: Context, c: SpanCandidate) -> float:
    """The span holds one of the question's own terms (an answer rarely repeats what was asked)."""
    return float(any(len(a) > 1 and a in c.text for term in ctx.terms for a in term))


@feature
def spans_clauses(ctx: Context, c: SpanCandidate) -> float:
    """The span runs over a clause mark: a clause, not a phrase."""
    return float(bool(_CLAUSE_MARK_RE.search(c.text)))


@feature
def question_overlap(ctx: Context, c: SpanCandidate) -> float:
    """The share of the span's characters that the question already holds."""
    chars = [char for char in c.text if not char.isspace()]
    return sum(char in ctx.question.simplified for char in chars) / len(chars) if chars else 1.0


@feature
def quoted(ctx: Context, c: SpanCandidate) -> float:
    """The span is a quoted or titled name (“紧日子”, 《…》)."""
    return float(bool(QUOTED_RE.fullmatch(c.text)))


# The question.
@feature
def english(ctx: Context, c: SpanCandidate) -> float:
    return float(ctx.question.english)


def _kind_feature(kind: str) -> Feature:
    def function(ctx: Context, c: SpanCandidate) -> float:
        return float(ctx.question.kind == kind)

    function.__name__ = f"asks_{kind}"
    function.__doc__ = f"The question asks for a {kind}."
    return function


for _kind in KINDS:
    feature(_kind_feature(_kind))

# Where the sources are stronger: the rules for quantities, the reader for phrases and English questions.
_TYPED = (NUMBER, DATE, DURATION)


@feature
def rules_score_typed(ctx: Context, c: SpanCandidate) -> float:
    return rules_score(ctx, c) * float(ctx.question.kind in _TYPED)


@feature
def reader_margin_typed(ctx: Context, c: SpanCandidate) -> float:
    return reader_margin(ctx, c) * float(ctx.question.kind in _TYPED)


@feature
def reader_margin_english(ctx: Context, c: SpanCandidate) -> float:
    return reader_margin(ctx, c) * float(ctx.question.english)


@feature
def reader_margin_phrase(ctx: Context, c: SpanCandidate) -> float:
    return reader_margin(ctx, c) * float(ctx.question.kind == PHRASE)


FEATURES: tuple[str, ...] = tuple(_REGISTRY)


def describe(ctx: Context, candidate: SpanCandidate) -> dict[str, float]:
    """Every feature of one candidate, by name, in `FEATURES` order."""
    return {name: float(_REGISTRY[name](ctx, candidate)) for name in FEATURES}
