"""Rule-based answer extraction: typed candidate spans in the retrieved sentences, scored by how well their sentence matches.

The score of a candidate is a logistic function of four features, each in [0, 1]:

- `match`: how much of the question the sentence covers: the IDF-weighted share of the question's terms found in the
  sentence (terms found only elsewhere in its paragraph count half). A term is a content word of a Chinese question,
  or an English word with its Chinese translations (qa.crosslingual). A term the corpus never contains weighs most,
  so "大连市的市长是谁？" scores low: no sentence mentions 市长.
- `proximity`: closeness of the span to the question words matched in its sentence (exp(-distance / 12 chars)).
- `dense`: the sentence's cosine to the question, rescaled from [DENSE_FLOOR, DENSE_CEIL] to [0, 1].
- `rank`: 1 / (1 + position of the sentence in the fused retrieval ranking).

The weights (`WEIGHTS`) were chosen on the tuning split of eval/questions.jsonl; the answer threshold likewise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from qa.corpus import Corpus
from qa.question import PHRASE, Question
from qa.retriever import Hit
from qa.rules import Span, candidates

DENSE_FLOOR, DENSE_CEIL = 0.75, 0.92  # e5 cosines between a question and unrelated / matching sentences
PROXIMITY_SCALE = 12.0  # characters
WEIGHTS = {"bias": -6.0, "match": 6.5, "proximity": 1.5, "dense": 2.0, "rank": 1.0}
PHRASE_PENALTY = 1.5  # clause fallback for what/how questions: the rules only guess the clause
SENTENCES_READ = 5  # candidates are looked for in this many top sentences


@dataclass(frozen=True)
class Candidate:
    """A scored answer span inside a retrieved sentence: `row` is the corpus row, offsets index the sentence text."""

    row: int
    hit_rank: int
    start: int
    end: int
    text: str
    score: float
    features: dict


def rescale(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


Terms = list[tuple[str, ...]]  # each term: the strings any of which counts as the term being present


class RuleExtractor:
    """Finds typed spans in the top sentences and scores them."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus

    def extract(self, question: Question, terms: Terms, hits: list[Hit]) -> list[Candidate]:
        """All candidates from the top sentences, best first."""
        found: list[tuple[int, int, Span, dict]] = []
        for rank, hit in enumerate(hits[:SENTENCES_READ]):
            row = self.corpus.rows[hit.row]
            text = row.sentence.text
            sentence_features = {
                "dense": rescale(hit.dense_score, DENSE_FLOOR, DENSE_CEIL) if hit.dense_score is not None else 0.0,
                "rank": 1.0 / (1.0 + rank),
            }
            positions = _term_positions(terms, text)
            match = self._coverage(terms, text, row.unit.text)
            for span in candidates(question, text):
                if span.kind != PHRASE and (span.text in question.simplified or _is_term(span.text, terms)):
                    continue  # the question's own words are not its answer ("2022年" in "2022年…多少处")
                features = dict(sentence_features)
                features["match"] = match
                features["proximity"] = _proximity(span, positions)
                if span.kind == PHRASE:
                    features["question_overlap"] = _overlap(span.text, question.simplified)
                found.append((hit.row, rank, span, features))
        out = [
            Candidate(row, rank, span.start, span.end, span.text, _score(features, span.kind), features)
            for row, rank, span, features in found
        ]
        return sorted(out, key=lambda c: (-c.score, c.hit_rank, c.start))

    def _coverage(self, terms: Terms, sentence: str, paragraph: str) -> float:
        weights = [self._weight(term) for term in terms]
        total = sum(weights)
        if total == 0:
            return 0.0
        covered = sum(
            weight * (1.0 if any(a in sentence for a in term) else 0.5 if any(a in paragraph for a in term) else 0.0)
            for weight, term in zip(weights, terms)
        )
        return covered / total

    def _weight(self, term: tuple[str, ...]) -> float:
        """IDF of the term's commonest reading; a term with no reading in the corpus gets the maximum weight."""
        if not term:
            return self.corpus.idf("\u0000")
        return min(self.corpus.idf(alternative) for alternative in term)


def _term_positions(terms: Terms, sentence: str) -> list[tuple[int, int]]:
    return [
        (m.start(), m.end())
        for term in terms
        for alternative in term
        if len(alternative) > 1
        for m in re.finditer(re.escape(alternative), sentence)
    ]


def _is_term(text: str, terms: Terms) -> bool:
    return any(text == alternative for term in terms for alternative in term)


def _proximity(span: Span, positions: list[tuple[int, int]]) -> float:
    """exp(-d / scale) for the distance d from the span to the nearest question word outside it."""
    outside = [max(0, s - span.end, span.start - e) for s, e in positions if not (span.start <= s and e <= span.end)]
    if not outside:
        return 0.0
    return math.exp(-min(outside) / PROXIMITY_SCALE)


def _overlap(text: str, question: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum(1 for c in chars if c in question) / len(chars) if chars else 1.0


def _score(features: dict, kind: str) -> float:
    z = WEIGHTS["bias"] + sum(WEIGHTS[name] * features[name] for name in ("match", "proximity", "dense", "rank"))
    if kind == PHRASE:
        z -= PHRASE_PENALTY + 3.0 * features.get("question_overlap", 0.0)
    return 1.0 / (1.0 + math.exp(-z))
