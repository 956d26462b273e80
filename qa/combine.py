"""Choosing between the span rules and the trained reader, question by question.

Each is stronger somewhere (measured on the tuning split of eval/questions.jsonl):
- the rules keep numbers, dates and durations whole with their units and qualifiers (近3000名, 4.5万个, 88%左右) and
  know which unit was asked for; the reader sometimes clips them or returns a neighbouring number;
- the reader finds phrase answers, names and places in context, and reads paraphrased questions the rules cannot align.

So: when both point at the same place, the evidence of both is combined and the rules' span is kept for its exact
boundaries (the reader's, for what/how questions, where the rules only offer whole clauses, and for a name the
reader completes: jieba cuts 熊谷元 | 直, and for a place or organisation the reader gives in full); for number/date/duration questions a rule span of comparable confidence wins; otherwise the more confident
one wins, the reader's probability being discounted by READER_WEIGHT. A question whose names or numbers the chosen
passage does not contain (沈阳, 2021年) loses ENTITY_PENALTY of its score whichever side answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qa.labels import LABEL_PENALTY
from qa.question import PHRASE, TYPED_KINDS
from qa.rules import NAME_KINDS

RULES_SURE = 0.8  # a typed rule span this confident is kept without running the reader (saves ~0.1 s)
# READER_WEIGHT and ENTITY_PENALTY: chosen on the tuning split (98 questions, 15 unanswerable) by replaying this
# function over the rules' and the reader's spans: a plateau (threshold 0.5, weight 0.6-0.8, penalty 0-0.25) where
# HasAns F1 and NoAns accuracy were both at their best; 1.0 / 0.5 answered one more unanswerable question.
READER_WEIGHT = 0.8  # multiplies the reader's probability before comparing it with the rules' calibrated score
RULES_MARGIN = 0.15  # on typed questions, a rule span this much less confident than the reader still wins
ENTITY_PENALTY = 0.25  # multiplies the score when the question's names or numbers are missing from the context


@dataclass(frozen=True)
class Choice:
    """A span in source coordinates, inside the sentence of corpus row `row`, with its score and who found it."""

    row: int
    start: int
    end: int
    score: float
    method: str  # "rules", "reader", "rules+reader" or "introduction" (`qa.roles`)
    fits: bool = True  # False: it answers something else than asked (qa.labels, fits_kind) and its score was cut


def needs_reader(kind: str, rules: Choice | None) -> bool:
    """Whether the reader could change the answer: not when a typed rule span is already near certain.

    >>> needs_reader("number", Choice(0, 0, 4, 0.9, "rules")), needs_reader("phrase", Choice(0, 0, 4, 0.9, "rules"))
    (False, True)
    """
    return not (kind in TYPED_KINDS and rules is not None and rules.score >= RULES_SURE)


def choose(
    kind: str,
    rules: Choice | None,
    reader: Choice | None,
    reader_missing_entity: bool,
    reader_completes: bool = False,
) -> Choice | None:
    """The span to answer with (its score decides found / not found against the threshold).

    `reader_completes`: the reader's span is the rules' name, place or organisation made whole (`qa.boundaries`:
    `completes_name`, `completes_place`, `completes_body`): 熊谷元直 over 熊谷元 but not 工程师孙磊 over 孙磊;
    重庆武隆县江口镇的芙蓉江畔 over 重庆武隆县 but not 大连市沙河口区 over 沙河口区 for "星海街位于大连哪个区";
    大连三友电器设备有限公司 over 三友电器设备有限公司 (article tune split: 2 more exact answers; CMRC trial's one
    organisation the reader completes, DC漫画公司的, ends on a word after the name and is not taken). Replayed on the
    tuning data, taking such spans for person questions: CMRC trial EM 21 -> 29 of 75, article tune split 5 of 6
    either way (taking every longer reader span: 33 of 75 on trial, titles included as CMRC's annotators do, against
    the article's bare names); for place questions: CMRC trial 13 answers changed, EM 23.5 -> 24.2 of 100 over all 1,002 questions, and on the article tune split
    张岩家住哪个小区 is answered 大连市中山区港湾隽景小区 where it was declined (the rules' 大连市 is no 小区).

    >>> rules = Choice(0, 10, 14, 0.8, "rules"); reader = Choice(0, 11, 14, 0.9, "reader")
    >>> choose("number", rules, reader, False)
    Choice(row=0, start=10, end=14, score=0.944, method='rules+reader', fits=True)
    """
    if reader is not None:
        penalty = ENTITY_PENALTY if reader_missing_entity else 1.0
        reader = replace(reader, score=reader.score * READER_WEIGHT * penalty)
    if rules is None or reader is None:
        return rules if rules is not None else reader
    if _overlap(rules, reader):
        agreed = round(1.0 - (1.0 - rules.score) * (1.0 - reader.score), 6)
        # Typed rule spans have exact boundaries; for what/how questions the rules only have whole clauses.
        base = reader if kind == PHRASE or (kind in NAME_KINDS and reader_completes) else rules
        if not base.fits:  # both sides' score, shown with boundaries that answer something else ("大连市" for 哪个小区)
            agreed = round(agreed * LABEL_PENALTY, 6)
        return replace(base, score=agreed, method="rules+reader")
    if kind in TYPED_KINDS and rules.score + RULES_MARGIN >= reader.score:
        return rules
    return rules if rules.score >= reader.score else reader


def _overlap(a: Choice, b: Choice) -> bool:
    # A span never leaves its sentence, and sentences do not overlap: spans of different rows are apart.
    return a.row == b.row and a.start < b.end and b.start < a.end
