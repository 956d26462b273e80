"""Evaluation figures: the CMRC 2018 EM/F1, SQuAD-2.0-style answerability scores, retrieval, latency, calibration.

The text metric re-implements the official CMRC 2018 script (ymcui/cmrc2018,
squad-style-data/cmrc2018_evaluate.py, v5) for Python 3, without nltk. It differs from it on purpose:

* Punctuation removed: the official list PLUS ASCII punctuation except "%" (a unit: "88%" is not "88"),
  plus "…", "‘", "—", "【", "】". The official list holds "……" as one two-character entry that never
  matches a single character, and only the closing "’"; this article uses "…", "‘" and "—".
* "." and "," between two digits are kept ("1.59亿元" is not "159亿元"), as nltk keeps "1.59" one token.
* Latin text is split without nltk: runs of letters and digits (with those inner "." and ",") are one
  token; any other symbol ("%", "℃") is a token of its own; whitespace separates. Removed punctuation
  is deleted before splitting, as in the official script, so "ω-force" is the one token "ωforce".
* CJK ideographs are every character of U+3400–U+4DBF, U+4E00–U+9FFF, U+F900–U+FAFF and U+20000–U+2FFFF
  (the official script: U+4E00–U+9FA5 only).
* Surrounding whitespace is stripped after punctuation is removed (officially before), so "“ 万岗计划”"
  equals "万岗计划".
* No golds (an unanswerable question): EM and F1 are 1 for an empty prediction and 0 otherwise, and an
  empty token list scores F1 1 only against another empty one (SQuAD 2.0's rule; the official script
  fails on empty golds).
"""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Sequence

from eval.datasets import Span
from eval.records import EvidenceRef, Record

OFFICIAL_PUNCTUATION = frozenset(
    ["-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
     "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "·", "、",
     "「", "」", "（", "）", "－", "～", "『", "』"]
)
PUNCTUATION = OFFICIAL_PUNCTUATION | (frozenset(string.punctuation) - {"%"}) | frozenset("…‘—【】")
RETRIEVAL_DEPTHS = (1, 3, 5)
ERROR_CATEGORIES = ("retrieval_miss", "boundary", "wrong_span", "false_abstention", "answered_unanswerable")


# --- the CMRC 2018 text metric -------------------------------------------------------------------

def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF
            or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF)


def normalize(text: str) -> str:
    """Lower-case, remove punctuation (keeping "." and "," between digits), strip.

    >>> normalize("“万岗计划”")
    '万岗计划'
    >>> normalize("1.59亿元。")
    '1.59亿元'
    """
    text = text.lower()
    kept = []
    for i, ch in enumerate(text):
        numeric_separator = ch in ".," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
        if ch not in PUNCTUATION or numeric_separator:
            kept.append(ch)
    return "".join(kept).strip()


def segment(text: str) -> list[str]:
    """CMRC "mixed segmentation" after punctuation removal: one token per CJK character, one per Latin run.

    >>> segment("5G网络")
    ['5g', '网', '络']
    >>> segment("增长1.59亿元, 50%")
    ['增', '长', '1.59', '亿', '元', '50', '%']
    """
    tokens: list[str] = []
    run = ""
    for ch in normalize(text):
        # After normalize(), a "." or "," left over sits between digits, so it belongs to the run.
        if not _is_cjk(ch) and (ch.isalnum() or ch in ".,"):
            run += ch
            continue
        if run:
            tokens.append(run)
            run = ""
        if not ch.isspace():
            tokens.append(ch)
    if run:
        tokens.append(run)
    return tokens


def longest_common_run(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest contiguous token run shared by `a` and `b` (the official `find_lcs`).

    >>> longest_common_run(list("abcde"), list("xbcdy"))
    3
    """
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                current[j + 1] = previous[j] + 1
                best = max(best, current[j + 1])
        previous = current
    return best


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 when the normalized prediction equals a normalized gold; with no golds, when it is empty.

    >>> exact_match("“万岗计划”", ["万岗计划"])
    1.0
    >>> exact_match("", [])
    1.0
    """
    predicted = normalize(prediction)
    if not golds:
        return float(predicted == "")
    return float(any(normalize(gold) == predicted for gold in golds))


def f1_score(prediction: str, golds: Sequence[str]) -> float:
    """CMRC F1: precision and recall of the longest common token run, best over the golds.

    >>> round(f1_score("6月30日", ["2022年6月30日"]), 3)
    0.8
    """
    if not golds:
        return exact_match(prediction, golds)
    predicted = segment(prediction)
    best = 0.0
    for gold in golds:
        expected = segment(gold)
        if not predicted or not expected:
            best = max(best, float(predicted == expected))
            continue
        common = longest_common_run(expected, predicted)
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


# --- matching answers and evidence to gold locations ---------------------------------------------

def gold_rank(evidence: Sequence[EvidenceRef], targets: Sequence[Span]) -> int | None:
    """1-based rank of the first evidence sentence that overlaps a gold target, None when none does.

    >>> gold_rank([EvidenceRef("d", 0, 9, 0.9), EvidenceRef("d", 10, 30, 0.8)], [Span(12, 13, "d")])
    2
    """
    for rank, ref in enumerate(evidence, start=1):
        if any(target.overlaps(ref.start, ref.end, ref.doc_id) for target in targets):
            return rank
    return None


def overlaps_gold(start: int | None, end: int | None, doc_id: str | None, spans: Sequence[Span]) -> bool:
    """Whether a predicted span shares characters with a gold answer span in the same document."""
    if start is None or end is None:
        return False
    return any(span.overlaps(start, end, doc_id) for span in spans)


# --- SQuAD-2.0-style scores at a threshold -------------------------------------------------------

def answered(record: Record, threshold: float) -> bool:
    """Whether the system shows its candidate at `threshold` (found iff score >= threshold)."""
    return record.found and record.score >= threshold


def scored(record: Record, threshold: float) -> tuple[float, float]:
    """(EM, F1) of one question at `threshold`: an abstention scores 1 on an unanswerable question, 0 otherwise."""
    if answered(record, threshold):
        return (record.em, record.f1) if record.answerable else (0.0, 0.0)
    return (0.0, 0.0) if record.answerable else (1.0, 1.0)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(records: Sequence[Record], threshold: float) -> dict:
    """Answer scores of `records` at `threshold`, as fractions in [0, 1] (None where undefined).

    Keys: questions, answerable, unanswerable, answered, has_ans_em, has_ans_f1, no_ans_acc, em, f1,
    abstain_precision (abstentions that were on unanswerable questions), abstain_recall (unanswerable
    questions abstained on).
    """
    has_ans = [r for r in records if r.answerable]
    no_ans = [r for r in records if not r.answerable]
    results = [scored(r, threshold) for r in records]
    abstained = [r for r in records if not answered(r, threshold)]
    correct_abstentions = sum(1 for r in abstained if not r.answerable)
    return {
        "questions": len(records),
        "answerable": len(has_ans),
        "unanswerable": len(no_ans),
        "answered": len(records) - len(abstained),
        "has_ans_em": _mean([scored(r, threshold)[0] for r in has_ans]),
        "has_ans_f1": _mean([scored(r, threshold)[1] for r in has_ans]),
        "no_ans_acc": _mean([scored(r, threshold)[0] for r in no_ans]),
        "em": _mean([em for em, _ in results]),
        "f1": _mean([f1 for _, f1 in results]),
        "abstain_precision": correct_abstentions / len(abstained) if abstained else None,
        "abstain_recall": correct_abstentions / len(no_ans) if no_ans else None,
    }


def best_threshold(records: Sequence[Record], metric: str = "f1") -> tuple[float, float]:
    """The threshold that maximises overall `metric` ("f1" or "em") on `records`, and that maximum.

    Call it with the tune split only. Candidates lie midway between consecutive distinct scores (0.0
    answers every candidate; one above the top score abstains on all). Ties go to the higher threshold:
    a wrong answer to an answerable question scores 0 like an abstention, so at equal F1 fewer answers
    means fewer wrong ones shown.

    >>> from dataclasses import replace
    >>> r = Record("1", "q", "k", "tune", True, ("a",), "a", True, 0.8, 0, 1, None, 1.0, 1.0, True, False,
    ...            None, (), {}, 0.0)
    >>> best_threshold([r, replace(r, id="2", answerable=False, em=0.0, f1=0.0, score=0.3)])
    (0.55, 1.0)
    """
    if metric not in ("em", "f1"):
        raise ValueError(f"metric must be 'em' or 'f1', got {metric!r}")
    if not records:
        raise ValueError("best_threshold needs at least one record")
    value_of = (lambda r: r.em) if metric == "em" else (lambda r: r.f1)
    # Start above every score (abstain on all), then lower the threshold one distinct score at a time;
    # each step turns the abstentions at that score into answers.
    gain: Counter[float] = Counter()
    for r in records:
        if r.found:
            gain[r.score] += (value_of(r) if r.answerable else 0.0) - (0.0 if r.answerable else 1.0)
    total = float(sum(1 for r in records if not r.answerable))
    scores = sorted(gain, reverse=True)
    if not scores:
        return 0.0, total / len(records)
    top = scores[0]
    best_t = (top + 1.0) / 2 if top < 1.0 else math.nextafter(top, math.inf)
    best_total = total
    for i, score in enumerate(scores):
        total += gain[score]
        threshold = (score + scores[i + 1]) / 2 if i + 1 < len(scores) else 0.0
        if total > best_total + 1e-12:
            best_t, best_total = threshold, total
    return best_t, best_total / len(records)


# --- retrieval, latency, calibration, errors -----------------------------------------------------

def retrieval(records: Sequence[Record], depths: Sequence[int] = RETRIEVAL_DEPTHS) -> dict:
    """recall@k and MRR of the gold sentence over answerable questions whose gold location is known.

    A gold sentence ranked below the evidence the answerer returned counts as missed (reciprocal rank 0).
    """
    known = [r for r in records if r.answerable and r.retrieval_known]
    figures: dict = {"retrieval_questions": len(known)}
    for k in depths:
        figures[f"recall@{k}"] = _mean([float(r.gold_rank is not None and r.gold_rank <= k) for r in known])
    figures["mrr"] = _mean([1.0 / r.gold_rank if r.gold_rank else 0.0 for r in known])
    return figures


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile with linear interpolation between closest ranks (numpy's default).

    >>> percentile([1, 2, 3, 4], 50)
    2.5
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_times(records: Sequence[Record]) -> dict[str, list[float]]:
    """Seconds per stage over all records, stages in first-seen order, plus "wall" (the whole call)."""
    stages: dict[str, list[float]] = {}
    for r in records:
        for stage, seconds in r.timings.items():
            stages.setdefault(stage, []).append(seconds)
    stages["wall"] = [r.wall_s for r in records]
    return stages


def latency(records: Sequence[Record]) -> dict[str, dict[str, float | None]]:
    """p50 / p95 / mean seconds per stage (from `Answer.timings`) and for the whole call ("wall")."""
    return {
        stage: {"p50": percentile(values, 50), "p95": percentile(values, 95), "mean": _mean(values)}
        for stage, values in stage_times(records).items()
    }


def reliability(records: Sequence[Record], bins: int = 10) -> dict:
    """How well `score` predicts correctness: candidates binned by score, with accuracy per bin and ECE.

    Every candidate counts (threshold 0); it is correct when the question is answerable and EM is 1.
    """
    found = [r for r in records if r.found]
    rows = []
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [r for r in found if low <= r.score < high or (b == bins - 1 and r.score >= high)]
        accuracy = _mean([float(r.answerable and r.em == 1.0) for r in members])
        mean_score = _mean([r.score for r in members])
        if members:
            ece += len(members) / len(found) * abs(accuracy - mean_score)
        rows.append({"low": low, "high": high, "count": len(members), "mean_score": mean_score, "accuracy": accuracy})
    return {"bins": rows, "ece": ece if found else None, "candidates": len(found)}


def error_category(record: Record, threshold: float) -> str | None:
    """Why a question scores EM 0 at `threshold` (None when it is right).

    Checked in this order: answered_unanswerable, false_abstention, boundary (the prediction overlaps a
    gold answer at its place but is not equal), retrieval_miss (the gold sentence is not in the evidence),
    wrong_span.
    """
    if scored(record, threshold)[0] == 1.0:
        return None
    if not record.answerable:
        return "answered_unanswerable"
    if not answered(record, threshold):
        return "false_abstention"
    if record.overlaps_gold:
        return "boundary"
    if record.retrieval_known and record.gold_rank is None:
        return "retrieval_miss"
    return "wrong_span"
