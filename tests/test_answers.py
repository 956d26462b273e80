"""The real model on real questions about the article: the acceptance examples, through the API."""

import pytest

pytestmark = pytest.mark.model


# The acceptance examples: the questions of issue #2 first, then kinds the hand-set checks were written for, which the
# learned verifier now weighs (qa.verify): each example must hold, save the stated few.
ANSWERABLE = [
    ("2022年大连建成了多少处口袋公园？", "112处"),
    ("渤海大道什么时候全线通车？", "2022年6月30日"),
    ("大连湾海底隧道有限公司副总工程师是谁？", "孙磊"),
    ("How many pocket parks did Dalian build in 2022?", "112处"),
    ("2022年大連建成了多少處口袋公園？", "112处"),
    ("3月1日首日有多少人参与地铁5号线试乘体验？", "近3000名"),
    ("截至2022年末，全市住房公积金累计归集总额是多少？", "2864.16亿元"),
    ("大连湾海底隧道的设计时速是多少？", "60公里"),
    ("大魏家街道副主任是谁？", "王霞"),
    ("How deep is the Dalian Bay undersea tunnel?", "23米"),
    ("大连有多少家法治超市？", "1690家"),
]
UNANSWERABLE = [
    "大连市的市长是谁？",
    "渤海大道全长多少公里？",
    "沈阳市2022年建成了多少处口袋公园？",
    "大连湾海底隧道全长多少公里？",  # the article gives its speed in 公里, not its length (qa.labels)
    "大魏家街道的主任是谁？",  # the article names the deputy
    "大连湾海底隧道有限公司总经理是谁？",  # it names the deputy chief engineer
    "灵活就业人员参加住房公积金制度暂行办法是哪一天出台的？",  # only the year
    "大连工会建会百年庆祝活动在哪里举行？",
    "How long is the Dalian Bay undersea tunnel?",  # a length: not 23米 (its depth), not 60公里, not 5分钟
    "2022年大连为多少户企业发放了信用贷款？",  # 11万户 counts 缴存职工
    "大连湾海底隧道通车前，北岸到南岸的车程需要多久？",  # 5分钟 is the ride once it opens (届时)
    "全市有多少个小区完成了“大党委”组建？",  # the reader marks "702个村全部完成…组建": 702个 counts 村
]
# issue #2's acceptance questions: these hold without exception
REQUIRED = ("2022年大连建成了多少处口袋公园？", "渤海大道什么时候全线通车？", "大连湾海底隧道有限公司副总工程师是谁？",
            "How many pocket parks did Dalian build in 2022?", "大连有多少家法治超市？", "大连市的市长是谁？", "渤海大道全长多少公里？")
# Misses allowed besides REQUIRED, as measured on 2026-12-06 with the softmax verifier and the DRCD-trained reader:
# 10 of 11 answered exactly (the English "How deep…" declined at 0.10: the reader, unsure, prefers the clause around 23米),
# 10 of 12 declined: 沈阳's 口袋公园 (0.50) answered, as every verifier before did, and 2022年 for a day (0.31), a near
# miss (docs/verifier.md: near misses).
ANSWERABLE_MISSES, UNANSWERABLE_MISSES = 1, 4


@pytest.fixture(scope="module")
def answered(answerer):
    return {question: answerer.answer(question) for question in [q for q, _ in ANSWERABLE] + UNANSWERABLE}


def test_answers_are_exact_spans(answered, article):
    right = 0
    for question, expected in ANSWERABLE:
        result = answered[question]
        assert 0.0 <= result.score <= 1.0
        if result.found:
            assert article[result.start : result.end] == result.text
            top = result.evidence[0]
            assert top.start <= result.start and result.end <= top.end
        assert result.text == expected or question not in REQUIRED, (question, result.text)
        right += result.text == expected
    assert right >= len(ANSWERABLE) - ANSWERABLE_MISSES


def test_questions_the_article_does_not_answer(answered):
    declined = 0
    for question in UNANSWERABLE:
        result = answered[question]
        assert result.evidence, "the closest sentences are still returned"
        assert not result.found or question not in REQUIRED, (question, result.text)
        assert result.found or result.text == ""
        declined += not result.found
    assert declined >= len(UNANSWERABLE) - UNANSWERABLE_MISSES


def test_english_question_finds_the_chinese_sentence(answerer):
    result = answerer.answer("When did the Bohai Avenue open to traffic?")
    assert any("渤海大道" in e.text for e in result.evidence[:3])


def test_evidence_offsets_index_the_article(answerer, article):
    result = answerer.answer("老旧小区改造惠及多少户居民？")
    for evidence in result.evidence:
        joined = "".join(article[s:e] for s, e in evidence.pieces)
        assert joined == evidence.text
        if len(evidence.pieces) == 1:
            assert article[evidence.start : evidence.end] == evidence.text
        assert evidence.location


def test_score_orders_right_above_wrong(answerer):
    right = answerer.answer("2022年大连建成了多少处口袋公园？")
    absent = answerer.answer("大连市的市长是谁？")
    assert right.score > absent.score


@pytest.mark.parametrize("question, head", [("张岩家住哪个小区？", "小区"), ("被称为“大樱桃之乡”的是哪个街道？", "街道")])
def test_which_questions_are_answered_with_that_kind_of_place_or_not_at_all(answerer, question, head):
    result = answerer.answer(question)
    assert not result.found or result.text.endswith(head), result.text
