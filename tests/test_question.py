"""Question intake: cleaning, truncation, script conversion and expected answer kinds."""

import pytest

from qa.errors import EmptyQuestionError
from qa.question import analyse_question, clean_question, ends_as_asked, units_compatible


@pytest.mark.parametrize("raw", ["", "   ", "\n\t\u3000", "\x00\x07"])
def test_empty_question_raises_a_clear_value_error(raw):
    with pytest.raises(ValueError, match="empty"):
        analyse_question(raw, 300)
    with pytest.raises(EmptyQuestionError):
        analyse_question(raw, 300)


def test_cleaning_drops_control_characters_and_folds_spaces():
    assert clean_question("渤海\x00大道\u200b  什么时候\n通车？\x1b") == "渤海大道 什么时候 通车？"


def test_emoji_and_html_are_kept_as_plain_text():
    assert clean_question("<b>口袋公园</b>😀？") == "<b>口袋公园</b>😀？"


def test_overlong_text_without_a_question_is_cut_and_flagged():
    q = analyse_question("口袋公园" * 2500, 300)
    assert q.truncated and q.no_question and len(q.text) == 300


def test_a_question_pasted_after_a_long_text_is_the_one_asked():
    q = analyse_question("大连建成了很多口袋公园。" * 60 + "你好！渤海大道什么时候全线通车？谢谢", 300)
    assert q.truncated and not q.no_question and q.text == "渤海大道什么时候全线通车？"
    assert analyse_question("Dalian. " * 60 + "How deep is the tunnel? Thanks", 300).text == "How deep is the tunnel?"


def test_traditional_question_is_matched_in_simplified():
    q = analyse_question("2022年大連建成了多少處口袋公園？", 300)
    assert q.simplified == "2022年大连建成了多少处口袋公园？"
    assert (q.kind, q.unit) == ("number", "处")


@pytest.mark.parametrize(
    "question, kind",
    [
        ("2022年大连建成了多少处口袋公园？", "number"),
        ("渤海大道什么时候全线通车？", "date"),
        ("大连湾海底隧道有限公司副总工程师是谁？", "person"),
        ("李桂珍住在哪个社区？", "place"),
        ("黄伟东在哪家公司工作？", "org"),
        ("大连创新实施的高校毕业生就业计划叫什么？", "named"),
        ("这个治安巡逻项目叫什么名字？", "named"),  # a programme's name
        ("那位志愿者叫什么名字？", "person"),
        ("张岩的女儿上的那所幼儿园叫什么名字？", "org"),  # a body's name
        ("和合大院所在的社区叫什么名字？", "place"),
        ("老旧小区改造包括哪些内容？", "list"),
        ("坐地铁到中山广场要多久？", "duration"),
        ("路通了以后来回送货能省下多少时间？", "duration"),
        ("为什么居民不怕过冬了？", "phrase"),
        ("弯角剑羚为什么可以几个星期不喝水？", "phrase"),  # why, not how many
        ("为什么人们对夏威夷秧鸡容易产生混淆？", "phrase"),  # 为什么人…: no person asked
        ("九龙巴士69M线的优点在哪？", "phrase"),  # a merit, not a place
        ("雌性和雄性霍氏树懒有什么区别？", "phrase"),  # 区别 is no district
        ("现在镇政府位于什么区域？", "place"),
        ("区域广播也被称为什么？", "named"),  # 称为什么 asks for a name, not why
        ("开播时播出的时间段为什么时候？", "date"),
        ("How many pocket parks did Dalian build in 2022?", "number"),
        ("When did the Bohai Avenue open to traffic?", "date"),
        ("Who is the deputy chief engineer of the tunnel company?", "person"),
        ("What is the annual budget of the craftsman academy?", "number"),  # an amount, as "how much"
        ("What is the main goal of the plan?", "phrase"),
    ],
)
def test_expected_answer_kind(question, kind):
    assert analyse_question(question, 300).kind == kind


def test_english_detection():
    assert analyse_question("How many pocket parks?", 300).english
    assert not analyse_question("口袋公园有多少处？", 300).english


@pytest.mark.parametrize(
    "asked, found, ok",
    [
        ("处", "处", True), ("人", "名", True), ("万户", "万户", True), ("户", "万户", True), ("栋", "幢", True),
        ("吨", "公吨", True), ("长度", "光年", True), ("公里", "处", False), ("个", None, False),
    ],
)
def test_unit_compatibility(asked, found, ok):
    assert units_compatible(asked, found) is ok


@pytest.mark.parametrize(
    "question, head",
    [
        ("张岩家住哪个小区？", "小区"),
        ("被称为“大樱桃之乡”的是哪个街道？", "街道"),
        ("李桂珍住在大连哪个区？", "区"),
        ("张凯毕业于哪所大学？", "大学"),
        ("Which university did the graduate Zhang Kai come from?", "大学"),
        ("大连湾海底隧道有限公司副总工程师是谁？", None),
        ("星海街位于哪里？", None),
        ("和合大院位于哪条路？", "路"),
        ("两种改造有什么区别？", None),  # 区别, a difference, not a 区
        ("哪个路段最长？", None),
    ],
)
def test_which_questions_name_the_kind_of_place_asked_for(question, head):
    assert analyse_question(question, 300).head == head


@pytest.mark.parametrize(
    "question, text, expected",
    [
        ("李桂珍住在大连哪个区？", "西岗区", True),
        ("李桂珍住在大连哪个区？", "香川社区", False),  # a community is not a district
        ("张岩家住哪个小区？", "港湾隽景小区", True),
        ("张岩家住哪个小区？", "大连市", False),
        ("星海街位于哪里？", "大连市", True),  # no kind asked
        ("这款游戏是哪家公司发行的？", "日本光荣株式会社", True),  # a company by another name
        ("这款游戏是哪家公司发行的？", "大连市", False),
    ],
)
def test_answers_end_as_the_kind_asked_for(question, text, expected):
    assert ends_as_asked(analyse_question(question, 300), text) is expected


@pytest.mark.parametrize(
    "question, counted",
    [
        ("2022年大连为多少户企业缓缴了住房公积金？", "企业"),
        ("2022年大连建成了多少处口袋公园？", "口袋公园"),
        ("大连建成了多少处？", None),
        ("大连选树了多少名“十佳新时代最美职工”？", "“十佳新时代最美职工”"),  # a name in quotes, whole
        ("有多少人参加？", None),  # 参加 is what they did, not what is counted
        ("渤海大道什么时候通车？", None),  # not a number question
    ],
)
def test_what_a_number_question_counts(question, counted):
    assert analyse_question(question, 300).counted == counted


@pytest.mark.parametrize(
    "question, kind, unit",
    [
        ("How long is the Dalian Bay undersea tunnel?", "number", "长度"),  # a length, in any unit of length
        ("How long is the ride from the north shore to the south shore?", "duration", None),
        ("How long did the construction take?", "duration", None),
        ("大连湾海底隧道有多长？", "number", "长度"),
        ("隧道通车后北岸到南岸需要多长时间？", "duration", None),
        ("满意度有多高？", "number", None),  # a rate is high too
    ],
)
def test_questions_that_ask_for_a_length(question, kind, unit):
    q = analyse_question(question, 300)
    assert (q.kind, q.unit) == (kind, unit)


def test_any_unit_of_length_answers_a_length():
    assert units_compatible("长度", "公里") and units_compatible("长度", "米")
    assert not units_compatible("长度", "分钟") and not units_compatible("长度", None)


@pytest.mark.parametrize(
    "question, unit",
    [
        ("How much did Dalian invest in pocket parks in 2022?", "元"),  # a sum of money, in 元 / 万元 / 亿元 / 美元
        ("What is the total cost of the tunnel?", "元"),
        ("How much money did the city spend on heating?", "元"),
        ("What is the monthly subsistence allowance for urban residents?", "元"),  # two words before the noun
        ("How much is the metro fare?", "元"),
        ("How many people did the fund help?", None),  # a count, whatever it is about
        ("How much of the city's area is green?", None),
    ],
)
def test_an_english_question_about_money_asks_for_a_sum(question, unit):
    q = analyse_question(question, 300)
    assert (q.kind, q.unit) == ("number", unit)


def test_an_english_question_carries_its_numbers_and_the_place_it_asks_for():
    q = analyse_question("How many households did the 2022 renovation benefit?", 300)
    assert q.entities == ("2022",)
    assert analyse_question("Which street is the Hehe courtyard in?", 300).head == "街道"


@pytest.mark.parametrize(
    "question, entities",
    [
        ("“绿电点亮大连”工程计划投资多少钱？", ("绿电点亮大连",)),
        ("大连工匠学院开设了哪些专业？", ("工匠学院",)),  # common nouns that make an institution's name
        ("大连市住房公积金管理中心主任是谁？", ("大连市", "大连市住房公积金管理中心")),
        ("孙磊毕业于哪所大学？", ("孙磊",)),  # the asked institution is no name of the question
        ("什么时候工匠学院建成？", ("工匠学院",)),
        ("为什么呋塞米会导致尿液量增加？", ("呋塞米",)),  # jieba's HMM word 呋塞米会, without the 会 it glued on
        ("马良的哥哥是谁？", ("马良",)),  # jieba tags 哥哥 a place name (ns); LAC calls it a common noun
        ("IFMIF的两个平行加速器的长度是多少？", ()),  # 长度 (ns) neither
        ("为实现结算智能化，公积金管理中心建设了什么系统？", ("公积金管理中心",)),  # nor 智能化 (nr)
        ("张凯在瓦轴集团担任什么职务？", ("张凯", "瓦轴集团")),  # names both call names stay
    ],
)
def test_a_question_names_what_the_answers_context_must_name(question, entities):
    assert analyse_question(question, 300).entities == entities


@pytest.mark.parametrize(
    "question, unit",
    [
        ("职工技能竞赛的奖金是多少？", "元"),  # a sum named before 是多少
        ("大连湾海底隧道的总投资是多少？", "元"),
        ("住房公积金累计提取总额为多少？", "元"),
        ("星海街口袋公园的面积是多少？", None),  # no sum of money
        ("票价是多少？", None),  # a price may be per something (元/平方米): left unchecked
        ("资金用于多少个项目？", "个"),  # 多少 asks a count here
    ],
)
def test_a_chinese_question_naming_a_sum_asks_for_one(question, unit):
    q = analyse_question(question, 300)
    assert (q.kind, q.unit) == ("number", unit)


@pytest.mark.parametrize(
    "question, unit",
    [("李桂珍今年多大年纪？", "岁"), ("皇上放还时，家铉翁多大年龄？", "岁"), ("NGC 6231的年龄是多少？", None)],  # a star's age is in 年
)
def test_an_age_asked_without_sui_asks_for_one(question, unit):
    assert analyse_question(question, 300).unit == unit


@pytest.mark.parametrize(
    "question",
    ["How much time does Bohai Avenue save on a round trip?", "How many minutes does the trip through the tunnel take?"],
)
def test_an_english_question_about_an_amount_of_time_asks_for_a_duration(question):
    assert analyse_question(question, 300).kind == "duration"
