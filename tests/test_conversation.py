"""Follow-up rewriting: references resolved to the earlier question's topic, complete questions left alone."""

import pytest

from qa.conversation import main_entity, rewrite_followup

ROAD = "渤海大道是什么样的道路？"
TUNNEL = "大连湾海底隧道有多深？"


@pytest.mark.parametrize(
    ("question", "history", "expected"),
    [
        # pronouns
        ("它什么时候通车？", [ROAD], "渤海大道什么时候通车？"),
        ("它什么时候全线通车？", [ROAD], "渤海大道什么时候全线通车？"),
        ("那么，它有多长？", [ROAD], "那么，渤海大道有多长？"),
        ("它们分布在哪里？", ["2022年大连建成了多少处口袋公园？"], "口袋公园分布在哪里？"),
        ("其设计时速是多少？", [TUNNEL], "大连湾海底隧道的设计时速是多少？"),
        ("他说了什么？", ["大连湾海底隧道有限公司副总工程师是谁？"], "大连湾海底隧道有限公司副总工程师说了什么？"),
        ("他什么时候上任？", ["大连市的市长是谁？"], "大连市的市长什么时候上任？"),
        # demonstratives, with and without a measure word and a head noun
        ("这条路有多长？", [ROAD], "渤海大道有多长？"),
        ("这座隧道的设计时速是多少？", [TUNNEL], "大连湾海底隧道的设计时速是多少？"),
        ("这一工程什么时候完工？", [TUNNEL], "大连湾海底隧道什么时候完工？"),
        ("这是什么？", [TUNNEL], "大连湾海底隧道是什么？"),
        # the head noun narrows a longer antecedent to the part it names
        ("该公司节约了多少时间？", ["大连三友电器设备有限公司总经理是谁？"], "大连三友电器设备有限公司节约了多少时间？"),
        # a quoted name is the topic even when jieba splits it
        ("它有多少家？", ["“法治超市”是什么？"], "法治超市有多少家？"),
        # no topic of its own: the antecedent goes in front
        ("什么时候通车？", [ROAD], "渤海大道什么时候通车？"),
        ("有多少人参与？", ["地铁5号线什么时候开始试乘？"], "地铁5号线有多少人参与？"),
        # "X呢？" borrows the rest of the earlier question
        ("大连湾海底隧道呢？", ["渤海大道什么时候全线通车？"], "大连湾海底隧道什么时候全线通车？"),
        ("那渤海大道呢？", ["大连湾海底隧道什么时候通车？"], "渤海大道什么时候通车？"),
        # the antecedent is the most recent question that names something, skipping small talk
        ("它有多长？", ["大连湾海底隧道有多深？", ROAD, "谢谢"], "渤海大道有多长？"),
        # English pronouns and determiners, to an English or a Chinese antecedent
        ("When did it open?", ["What is Bohai Avenue?"], "When did Bohai Avenue open?"),
        ("What is its design speed?", ["What is the Dalian Bay Subsea Tunnel?"], "What is Dalian Bay Subsea Tunnel's design speed?"),
        ("When was that built?", ["What is Bohai Avenue?"], "When was Bohai Avenue built?"),
        ("Where are they?", ["How many pocket parks did Dalian build in 2022?"], "Where are pocket parks?"),
        ("When did it open?", [ROAD], "When did 渤海大道 open?"),
    ],
)
def test_follow_up_is_resolved(question, history, expected):
    assert rewrite_followup(question, history) == expected


@pytest.mark.parametrize(
    ("question", "history"),
    [
        # complete questions about a fresh topic
        ("2022年大连建成了多少处口袋公园？", [ROAD]),
        ("大连市的市长是谁？", [ROAD]),
        ("今年新增多少停车位？", [ROAD]),
        ("大连湾海底隧道的平均深度是多少？", [ROAD]),
        ("How many pocket parks did Dalian build in 2022?", [ROAD]),
        ("Who is the mayor of Dalian?", ["What is Bohai Avenue?"]),
        # a whole question ending in 呢 is not an elliptical "X呢？"
        ("渤海大道什么时候通车呢？", ["大连湾海底隧道什么时候通车？"]),
        # 这篇文章 points at the article, not at the earlier topic
        ("这篇文章讲了什么？", [ROAD]),
        # not a question
        ("谢谢", [ROAD]),
        # nothing to refer back to
        ("它什么时候通车？", []),
        ("它什么时候通车？", ["谢谢", "好的"]),
        # whitespace stays as it is (the engine rejects it)
        ("   ", [ROAD]),
    ],
)
def test_complete_or_unresolvable_question_is_unchanged(question, history):
    assert rewrite_followup(question, history) == question


def test_history_is_not_modified():
    history = [ROAD]
    rewrite_followup("它什么时候通车？", history)
    assert history == [ROAD]


def test_chained_follow_ups_keep_the_topic():
    history: list[str] = []
    for question in ("渤海大道是什么样的道路？", "它什么时候全线通车？", "它节约了多少时间？"):
        history.append(rewrite_followup(question, history))
    assert history[1:] == ["渤海大道什么时候全线通车？", "渤海大道节约了多少时间？"]


@pytest.mark.parametrize(
    ("question", "entity"),
    [
        ("渤海大道什么时候全线通车？", "渤海大道"),  # the topic comes first, not the longer predicate noun
        ("2022年大连建成了多少处口袋公园？", "口袋公园"),  # 处 after 多少 is a measure word
        ("大连湾海底隧道有限公司副总工程师是谁？", "大连湾海底隧道有限公司副总工程师"),
        ("大连三友电器设备有限公司总经理是谁？", "大连三友电器设备有限公司总经理"),  # jieba tags 大连 as an adverb
        ("老旧小区改造惠及多少户居民？", "老旧小区"),
        ("地铁5号线什么时候开始试乘？", "地铁5号线"),
        ("大连市的市长是谁？", "大连市的市长"),
        ("How many pocket parks did Dalian build in 2022?", "pocket parks"),
        ("Who is the deputy chief engineer of Dalian Bay Subsea Tunnel Co.?", "Dalian Bay Subsea Tunnel Co."),
        ("有多少人参与？", None),
    ],
)
def test_main_entity(question, entity):
    assert main_entity(question) == entity
