"""Rule-based answer extraction: typed candidate spans in the retrieved sentences, scored by how well their sentence matches.

The score of a candidate is a logistic function of four features, each in [0, 1]:

- `match`: how much of the question the sentence covers. For a Chinese question, the IDF-weighted share of the
  question's content words found in the sentence (words found only elsewhere in its paragraph count half). A word the
  corpus never contains weighs most, so "大连市的市长是谁？" scores low: no sentence mentions 市长. For an English
  question (no shared words), the cosine between the question and a window around the candidate, rescaled.
- `proximity`: closeness of the span to the question words matched in its sentence (exp(-distance / 12 chars)).
- `dense`: the sentence's cosine to the question, rescaled from [DENSE_FLOOR, DENSE_CEIL] to [0, 1].
- `rank`: 1 / (1 + position of the sentence in the fused retrieval ranking).

The weights (`WEIGHTS`) were chosen on the tuning split of eval/questions.jsonl; the answer threshold likewise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

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


class RuleExtractor:
    """Finds and scores typed spans; `window_similarity` embeds text windows for English questions."""

    def __init__(self, corpus: Corpus, window_similarity: Callable[[str, list[str]], np.ndarray]):
        self.corpus = corpus
        self.window_similarity = window_similarity

    def extract(self, question: Question, hits: list[Hit], query_vector: np.ndarray) -> list[Candidate]:
        """All candidates from the top sentences, best first."""
        found: list[tuple[int, int, Span, dict]] = []
        for rank, hit in enumerate(hits[:SENTENCES_READ]):
            row = self.corpus.rows[hit.row]
            text = row.sentence.text
            sentence_features = {
                "dense": rescale(hit.dense_score, DENSE_FLOOR, DENSE_CEIL) if hit.dense_score is not None else 0.0,
                "rank": 1.0 / (1.0 + rank),
            }
            positions = [] if question.english else self._matched_positions(question, text)
            match = None if question.english else self._coverage(question, text, row.unit.text)
            for span in candidates(question, text):
                if not question.english and span.kind != PHRASE and span.text in question.simplified:
                    continue  # the question's own words are not its answer ("2022年" in "2022年…多少处")
                features = dict(sentence_features)
                features["match"] = match if match is not None else 0.0
                features["proximity"] = _proximity(span, positions) if positions else 0.0
                if span.kind == PHRASE:
                    features["question_overlap"] = _overlap(span.text, question.simplified)
                found.append((hit.row, rank, span, features))
        if question.english and found:
            self._add_window_features(question, found)
        out = [
            Candidate(row, rank, span.start, span.end, span.text, _score(features, span.kind), features)
            for row, rank, span, features in found
        ]
        return sorted(out, key=lambda c: (-c.score, c.hit_rank, c.start))

    def _coverage(self, question: Question, sentence: str, paragraph: str) -> float:
        words = set(question.words)
        total = sum(self.corpus.idf(w) for w in words)
        if total == 0:
            return 0.0
        covered = sum(self.corpus.idf(w) * (1.0 if w in sentence else 0.5 if w in paragraph else 0.0) for w in words)
        return covered / total

    @staticmethod
    def _matched_positions(question: Question, sentence: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for w in set(question.words) if len(w) > 1 for m in re.finditer(re.escape(w), sentence)]

    def _add_window_features(self, question: Question, found: list) -> None:
        """English questions share no words with the article: compare the question with each span in its context."""
        windows = []
        for row, _, span, _ in found:
            text = self.corpus.rows[row].sentence.text
            windows.append(text[max(0, span.start - 8) : span.end + 8])
        similarity = self.window_similarity(question.text, windows)
        for (_, _, _, features), cosine in zip(found, similarity):
            features["match"] = rescale(float(cosine), DENSE_FLOOR, DENSE_CEIL)
            features["proximity"] = features["match"]


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
