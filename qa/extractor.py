"""Rule-based answer extraction: typed candidate spans in the retrieved sentences, scored by how well they fit.

The score of a candidate is a logistic function, sigmoid(bias + sum of WEIGHTS[f] * f), of these features:

- `match`: how much of the question the sentence covers: the IDF-weighted share of the question's terms found in the
  sentence (terms found only elsewhere in its paragraph count half). A term is a content word of a Chinese question,
  or an English word with its Chinese translations (qa.crosslingual).
- `missing`: the IDF, relative to the largest possible, of the most specific question term that neither the sentence
  nor its paragraph contains: "渤海大道全长多少公里？" asks for 全长, which the article never states.
- `missing_entity`: 1 when a name or number of the question (沈阳, 2021) is absent from the sentence and its paragraph.
- `proximity`: closeness of the span to the question terms in its sentence (exp(-distance / 12 characters)).
- `slot`: how well the span fills the question word's place between its neighbours ("下足了什么功夫" ~ "下足“绣花”功夫").
- `dense`: the sentence's cosine to the question, rescaled from [DENSE_FLOOR, DENSE_CEIL] to [0, 1].
- `rank`: 1 / (1 + position of the sentence in the fused retrieval ranking).
- `quoted`: the span is a quoted name; `clause`: the span is a whole clause (the fallback for what/how questions),
  `clause_overlap`: the share of the clause's characters that the question already contains.

`WEIGHTS` (qa/data/rule_weights.json) were fitted by logistic regression on the candidates of the tuning split of eval/questions.jsonl
(scripts/fit_rule_weights.py; label: the candidate equals a gold answer): they rank candidates. The best candidate's
logit is then mapped to a probability by Platt scaling (`CALIBRATION`), fitted on the same tuning questions with the
label "the best candidate is right" (unanswerable questions count as wrong), so `score` estimates P(right).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from qa.corpus import Corpus, Row
from qa.question import PHRASE, Question
from qa.retriever import Hit
from qa.rules import Span, candidates, quoted_spans
from qa.settings import PACKAGE_DIR

DENSE_FLOOR, DENSE_CEIL = 0.75, 0.92  # e5 cosines between a question and unrelated / matching sentences
PROXIMITY_SCALE = 12.0  # characters
SENTENCES_READ = 5  # candidates are looked for in this many top sentences
FEATURES = ("match", "missing", "missing_entity", "proximity", "slot", "dense", "rank", "quoted", "clause", "clause_overlap")
RULE_WEIGHTS_FILE = PACKAGE_DIR / "data" / "rule_weights.json"  # written by scripts/fit_rule_weights.py


def load_rule_weights(path: Path = RULE_WEIGHTS_FILE) -> tuple[dict[str, float], tuple[float, float]]:
    """The fitted (WEIGHTS, CALIBRATION): a weight per feature plus "bias", and Platt's (a, b)."""
    fitted = json.loads(path.read_text(encoding="utf-8"))
    weights, calibration = fitted["weights"], tuple(fitted["calibration"])
    if set(weights) != {"bias", *FEATURES} or len(calibration) != 2:
        raise ValueError(f"{path}: weights for {sorted(weights)} and {len(calibration)} calibration values, expected "
                         f"bias + {list(FEATURES)} and 2; re-run scripts/fit_rule_weights.py")
    return weights, calibration


# Platt scaling (a, b) maps the best candidate's logit to "the question's best candidate is right".
WEIGHTS, CALIBRATION = load_rule_weights()

Terms = list[tuple[str, ...]]  # each term: the strings any of which counts as the term being present


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


def candidate_logit(features: dict) -> float:
    """How good a candidate is, relative to the other candidates of the same question (the fitted WEIGHTS)."""
    return WEIGHTS["bias"] + sum(WEIGHTS[name] * features.get(name, 0.0) for name in FEATURES)


def calibrated_score(logit: float) -> float:
    """P(the best candidate is right) from its logit: Platt scaling fitted on the tuning questions."""
    a, b = CALIBRATION
    return 1.0 / (1.0 + math.exp(-(a * logit + b)))


class RuleExtractor:
    """Finds typed spans in the top sentences and scores them."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.max_idf = corpus.idf("\u0000")  # the weight of a term the corpus never contains

    def extract(self, question: Question, terms: Terms, hits: list[Hit]) -> list[Candidate]:
        """All candidates from the top sentences, best first."""
        out: list[Candidate] = []
        for rank, hit in enumerate(hits[:SENTENCES_READ]):
            row = self.corpus.rows[hit.row]
            context = self.corpus.paragraph_around(hit.row)
            shared = {
                "dense": rescale(hit.dense_score, DENSE_FLOOR, DENSE_CEIL) if hit.dense_score is not None else 0.0,
                "rank": 1.0 / (1.0 + rank),
                "match": self.coverage(terms, row.sentence.text, context),
                "missing": self.missing(terms, row.sentence.text + context),
                "missing_entity": float(any(e not in row.sentence.text + context for e in question.entities)),
            }
            for read_row in self._readable(hit.row):
                text = self.corpus.rows[read_row].sentence.text
                positions = term_positions(terms, text)
                slot_anchors = anchors(question.slot, text)
                for span, quoted in self._spans(question, text):
                    if span.kind != PHRASE and (span.text in question.simplified or _is_term(span.text, terms)):
                        continue  # the question's own words are not its answer ("2022年" in "2022年…多少处")
                    features = dict(shared)
                    features["proximity"] = proximity(span, positions)
                    features["slot"] = slot_fit(span, *slot_anchors)
                    features["quoted"] = float(quoted)
                    if span.kind == PHRASE and not quoted:
                        features["clause"] = 1.0
                        features["clause_overlap"] = _overlap(span.text, question.simplified)
                    score = calibrated_score(candidate_logit(features))
                    out.append(Candidate(read_row, rank, span.start, span.end, span.text, score, features))
        return sorted(out, key=lambda c: (-c.score, c.hit_rank, c.start))

    def _readable(self, row_index: int) -> list[int]:
        """The hit's sentence, plus the credit line of a photo caption (a caption's "who took it" sits there)."""
        rows = [row_index]
        following = row_index + 1
        if following < len(self.corpus) and self.corpus.rows[row_index].unit.kind == "caption":
            next_row: Row = self.corpus.rows[following]
            if next_row.document is self.corpus.rows[row_index].document and next_row.unit.kind == "credit":
                rows.append(following)
        return rows

    @staticmethod
    def _spans(question: Question, text: str) -> list[tuple[Span, bool]]:
        typed = [(span, False) for span in candidates(question, text)]
        if question.kind == PHRASE:
            # A quoted name is often the answer to a what-question ("过什么日子" -> “紧日子”).
            typed = [(span, True) for span in quoted_spans(text)] + typed
        return typed

    def coverage(self, terms: Terms, sentence: str, paragraph: str) -> float:
        weights = [self.weight(term) for term in terms]
        total = sum(weights)
        if total == 0:
            return 0.0
        covered = sum(
            weight * (1.0 if any(a in sentence for a in term) else 0.5 if any(a in paragraph for a in term) else 0.0)
            for weight, term in zip(weights, terms)
        )
        return covered / total

    def missing(self, terms: Terms, context: str) -> float:
        absent = [self.weight(term) for term in terms if not any(a in context for a in term)]
        return max(absent, default=0.0) / self.max_idf

    def absent(self, terms: Terms) -> float:
        """The relative IDF of the most specific question term that no sentence of the corpus holds."""
        absent = [self.weight(term) for term in terms if all(self.corpus.sentence_frequency(a) == 0 for a in term)]
        return max(absent, default=0.0) / self.max_idf

    def weight(self, term: tuple[str, ...]) -> float:
        """IDF of the term's commonest reading; a term with no reading in the corpus gets the maximum weight."""
        if not term:
            return self.max_idf
        return min(self.corpus.idf(alternative) for alternative in term)


def term_positions(terms: Terms, sentence: str) -> list[tuple[int, int]]:
    return [
        (m.start(), m.end())
        for term in terms
        for alternative in term
        if len(alternative) > 1
        for m in re.finditer(re.escape(alternative), sentence)
    ]


def _is_term(text: str, terms: Terms) -> bool:
    return any(text == alternative for term in terms for alternative in term)


def anchors(slot: tuple[str, str] | None, sentence: str) -> tuple[int | None, int | None]:
    """Where the words left and right of the question word occur in the sentence: (end of left, start of right)."""
    if slot is None:
        return None, None
    left, right = slot
    left_end = None
    for n in range(min(6, len(left)), 1, -1):
        found = sentence.find(left[-n:])
        if found >= 0:
            left_end = found + n
            break
    right_start = None
    shortest = 1 if left_end is not None else 2
    for n in range(min(6, len(right)), shortest - 1, -1):
        found = sentence.find(right[:n], left_end or 0)
        if found >= 0:
            right_start = found
            break
    return left_end, right_start


def slot_fit(span: Span, left_end: int | None, right_start: int | None) -> float:
    """0.5 for a span that starts where the question's left words end, 0.5 for one that ends where its right words begin."""
    fit = 0.0
    if left_end is not None and 0 <= span.start - left_end <= 2:
        fit += 0.5
    if right_start is not None and abs(right_start - span.end) <= 2:
        fit += 0.5
    return fit


def proximity(span: Span, positions: list[tuple[int, int]]) -> float:
    """exp(-d / scale) for the distance d from the span to the nearest question word outside it."""
    outside = [max(0, s - span.end, span.start - e) for s, e in positions if not (span.start <= s and e <= span.end)]
    if not outside:
        return 0.0
    return math.exp(-min(outside) / PROXIMITY_SCALE)


def _overlap(text: str, question: str) -> float:
    chars = [c for c in text if not c.isspace()]
    return sum(1 for c in chars if c in question) / len(chars) if chars else 1.0
