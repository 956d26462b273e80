"""Tests of eval.metrics against hand-computed figures (and the official CMRC 2018 script's behaviour)."""

from dataclasses import replace

import pytest

from eval import metrics
from eval.datasets import Span
from eval.records import EvidenceRef, Record


def rec(qid: str = "q", answerable: bool = True, found: bool = True, score: float = 0.9,
        em: float = 1.0, f1: float = 1.0, **changes) -> Record:
    record = Record(
        id=qid, question="?", kind="number", split="tune", answerable=answerable,
        answers=("112处",) if answerable else (), prediction="112处" if found else "", found=found,
        score=score, start=None, end=None, doc_id=None, em=em if answerable else 0.0,
        f1=f1 if answerable else 0.0, overlaps_gold=False, retrieval_known=answerable,
        gold_rank=1 if answerable else None, evidence=(), timings={}, wall_s=0.0,
    )
    return replace(record, **changes)


# --- the CMRC 2018 text metric -------------------------------------------------------------------

@pytest.mark.parametrize("text, tokens", [
    ("5G网络", ["5g", "网", "络"]),
    ("2022年6月30日", ["2022", "年", "6", "月", "30", "日"]),
    ("光荣和ω-force", ["光", "荣", "和", "ωforce"]),  # removed punctuation joins the run, as officially
    ("1.59亿元", ["1.59", "亿", "元"]),
    ("增长50%", ["增", "长", "50", "%"]),
    ("Hong Kong机场", ["hong", "kong", "机", "场"]),
    ("“万岗计划”", ["万", "岗", "计", "划"]),
    ("", []),
])
def test_segment_splits_cjk_characters_and_keeps_latin_runs(text, tokens):
    assert metrics.segment(text) == tokens


@pytest.mark.parametrize("prediction, golds, em, f1", [
    # mixed Chinese and digits: 4 of 6 tokens shared -> P 1, R 2/3
    ("6月30日", ["2022年6月30日"], 0.0, 0.8),
    ("2022年6月30日", ["6月30日"], 0.0, 0.8),
    ("112", ["112处"], 0.0, 2 / 3),
    # several golds: the best one counts
    ("112", ["112处", "112"], 1.0, 1.0),
    ("近3000名", ["3000名", "近3000名志愿者"], 0.0, 0.8),
    # punctuation inside or around answers
    ("“万岗计划”", ["万岗计划"], 1.0, 1.0),
    ("万岗计划", ["“万岗”计划"], 1.0, 1.0),
    ("1.59亿", ["1.59亿元"], 0.0, 0.8),
    ("159亿元", ["1.59亿元"], 0.0, 2 / 3),  # the decimal point is not punctuation
    ("1.59亿元。", ["1.59亿元"], 1.0, 1.0),
    # Latin runs are one token each, and case does not matter
    ("5G", ["5G网络"], 0.0, 0.5),
    ("5g网络", ["5G网络"], 1.0, 1.0),
    # the longest common CONTIGUOUS run (沙河口区: 4 tokens), not the longest subsequence (6)
    ("大连市沙河口区", ["大连沙河口区"], 0.0, 2 * (4 / 7) * (4 / 6) / (4 / 7 + 4 / 6)),
    # "%" is a unit and stays (the official script keeps it too)
    ("88", ["88%"], 0.0, 2 / 3),
    # empty prediction against an answer
    ("", ["112处"], 0.0, 0.0),
    # empty golds (unanswerable): only an empty prediction is right
    ("", [], 1.0, 1.0),
    ("。", [], 1.0, 1.0),
    ("112处", [], 0.0, 0.0),
])
def test_exact_match_and_f1_match_hand_computed_values(prediction, golds, em, f1):
    assert metrics.exact_match(prediction, golds) == em
    assert metrics.f1_score(prediction, golds) == pytest.approx(f1)


def test_added_punctuation_is_removed_where_the_official_list_misses_it():
    # The official list has "……" as one entry that never matches, and only the closing "’".
    assert metrics.exact_match("‘法治超市’…", ["法治超市"]) == 1.0
    assert metrics.exact_match("(2023)", ["2023"]) == 1.0
    assert metrics.normalize("1,000元, 共") == "1,000元 共"


def test_longest_common_run_counts_contiguous_tokens():
    assert metrics.longest_common_run(list("abxcd"), list("abcd")) == 2
    assert metrics.longest_common_run([], list("abc")) == 0


# --- gold locations ------------------------------------------------------------------------------

def test_gold_rank_needs_overlap_in_the_same_document():
    evidence = [EvidenceRef("p2", 0, 10, 0.9), EvidenceRef("p1", 20, 30, 0.8), EvidenceRef("p1", 0, 10, 0.7)]
    assert metrics.gold_rank(evidence, [Span(5, 6, "p1")]) == 3
    assert metrics.gold_rank(evidence, [Span(29, 40, "p1")]) == 2
    assert metrics.gold_rank(evidence, [Span(10, 20, "p1")]) is None  # touching is not overlapping
    assert metrics.gold_rank(evidence, [Span(5, 6)]) == 1  # no doc id: the set has one document


def test_overlaps_gold_is_false_without_a_span():
    assert metrics.overlaps_gold(3, 8, "d", [Span(7, 9, "d")])
    assert not metrics.overlaps_gold(3, 8, "e", [Span(7, 9, "d")])
    assert not metrics.overlaps_gold(None, None, "d", [Span(7, 9, "d")])


# --- SQuAD-2.0-style scores ----------------------------------------------------------------------

@pytest.fixture
def five() -> list[Record]:
    return [
        rec("r1", score=0.9, em=1.0, f1=1.0),
        rec("r2", score=0.4, em=0.0, f1=0.5),
        rec("r3", answerable=False, score=0.3),
        rec("r4", answerable=False, score=0.7),
        rec("r5", found=False, score=0.0, em=0.0, f1=0.0),
    ]


def test_summarize_applies_the_threshold(five):
    s = metrics.summarize(five, 0.5)
    # answered: r1 (right), r4 (unanswerable, so wrong); abstained: r2, r3 (right), r5
    assert s["answered"] == 2
    assert s["has_ans_em"] == pytest.approx(1 / 3)
    assert s["has_ans_f1"] == pytest.approx(1 / 3)
    assert s["no_ans_acc"] == pytest.approx(0.5)
    assert s["em"] == pytest.approx(2 / 5)
    assert s["f1"] == pytest.approx(2 / 5)
    assert s["abstain_precision"] == pytest.approx(1 / 3)
    assert s["abstain_recall"] == pytest.approx(1 / 2)


def test_summarize_at_zero_answers_every_candidate(five):
    s = metrics.summarize(five, 0.0)
    assert s["answered"] == 4  # r5 had no candidate at all
    assert s["has_ans_f1"] == pytest.approx(1.5 / 3)
    assert s["no_ans_acc"] == 0.0
    assert s["f1"] == pytest.approx(1.5 / 5)
    assert s["abstain_precision"] == 0.0


def test_summarize_leaves_undefined_figures_empty():
    s = metrics.summarize([rec("a", score=0.9)], 0.5)
    assert s["no_ans_acc"] is None and s["abstain_recall"] is None and s["abstain_precision"] is None


def test_best_threshold_maximises_overall_f1(five):
    # abstain on all: 2/5; lowering past 0.9 gains r1 (3/5); past 0.7 loses r4; past 0.4 gains 0.5; past 0.3 loses r3
    threshold, value = metrics.best_threshold(five, "f1")
    assert value == pytest.approx(3 / 5)
    assert threshold == pytest.approx(0.8)  # midway between 0.9 and 0.7
    assert metrics.summarize(five, threshold)["f1"] == pytest.approx(value)


def test_best_threshold_breaks_ties_towards_abstaining():
    wrong = rec("w", score=0.6, em=0.0, f1=0.0)
    unanswerable = rec("u", answerable=False, score=0.2)
    threshold, value = metrics.best_threshold([wrong, unanswerable])
    assert value == 0.5
    assert threshold == pytest.approx(0.8)  # above 0.6: answering "w" wrongly gains nothing


def test_best_threshold_can_answer_everything():
    threshold, value = metrics.best_threshold([rec("a", score=0.9), rec("b", score=0.1)], "em")
    assert (threshold, value) == (0.0, 1.0)


# --- retrieval, latency, calibration, errors -----------------------------------------------------

def test_retrieval_recall_and_mrr():
    records = [
        rec("a", gold_rank=1), rec("b", gold_rank=3), rec("c", gold_rank=None), rec("d", gold_rank=2),
        rec("u", answerable=False),  # not counted: unanswerable
        rec("x", retrieval_known=False, gold_rank=None),  # not counted: gold place unknown
    ]
    figures = metrics.retrieval(records)
    assert figures["retrieval_questions"] == 4
    assert figures["recall@1"] == pytest.approx(1 / 4)
    assert figures["recall@3"] == pytest.approx(3 / 4)
    assert figures["recall@5"] == pytest.approx(3 / 4)
    assert figures["mrr"] == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)


def test_latency_percentiles_per_stage():
    seconds = [0.4, 0.1, 0.3, 0.2]
    records = [rec(str(i), timings={"retrieve": s, "read": 1.0}, wall_s=2 * s) for i, s in enumerate(seconds)]
    figures = metrics.latency(records)
    assert figures["retrieve"]["p50"] == pytest.approx(0.25)
    assert figures["retrieve"]["p95"] == pytest.approx(0.385)  # 0.3 + 0.85 * (0.4 - 0.3)
    assert figures["read"]["p95"] == pytest.approx(1.0)
    assert figures["wall"]["p50"] == pytest.approx(0.5)
    assert metrics.percentile([], 50) is None


def test_reliability_bins_and_calibration_error():
    records = [
        rec("a", score=0.05), rec("b", score=0.15, em=0.0), rec("c", score=0.95),
        rec("d", score=0.95, em=0.0), rec("e", score=1.0),
        rec("u", answerable=False, score=0.55),  # a candidate for an unanswerable question is wrong
        rec("n", found=False, score=0.0),  # no candidate: not in the diagram
    ]
    result = metrics.reliability(records)
    counts = [b["count"] for b in result["bins"]]
    assert counts == [1, 1, 0, 0, 0, 1, 0, 0, 0, 3]
    top = result["bins"][-1]
    assert top["accuracy"] == pytest.approx(2 / 3)
    assert top["mean_score"] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    expected = (abs(1 - 0.05) + abs(0 - 0.15) + abs(0 - 0.55) + 3 * abs(2 / 3 - 2.9 / 3)) / 6
    assert result["ece"] == pytest.approx(expected)
    assert result["candidates"] == 6


@pytest.mark.parametrize("record, category", [
    (rec(answerable=False, score=0.7), "answered_unanswerable"),
    (rec(answerable=False, score=0.3), None),
    (rec(score=0.3), "false_abstention"),
    (rec(score=0.9, em=0.0, f1=0.8, overlaps_gold=True), "boundary"),
    (rec(score=0.9, em=0.0, f1=0.0, gold_rank=None), "retrieval_miss"),
    (rec(score=0.9, em=0.0, f1=0.0, gold_rank=2), "wrong_span"),
    (rec(score=0.9, em=0.0, f1=0.0, retrieval_known=False, gold_rank=None), "wrong_span"),
    (rec(score=0.9), None),
])
def test_error_category(record, category):
    assert metrics.error_category(record, 0.5) == category
