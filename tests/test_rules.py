"""Span rules: typed candidates keep units and qualifiers whole and respect the asked unit."""

import pytest

from qa.question import analyse_question
from qa.rules import candidates, fits_kind

PARKS = "2022年，以全市108条主次干路、19座广场及“两站一场”为重点，大连拆违建绿、拆后善用，建成112处口袋公园及多处停车场，新增停车位4.5万个，实现市容秩序与民生改善“双赢”。"


def texts(question: str, sentence: str) -> list[str]:
    return [span.text for span in candidates(analyse_question(question, 300), sentence)]


def test_number_with_asked_unit():
    assert texts("建成了多少处口袋公园？", PARKS) == ["112处"]


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("首日有近3000名社会各界代表和热心市民参与。", "近3000名"),
        ("新增停车位4.5万个。", "4.5万个"),
        ("民生投入占财政支出比重达88%左右。", "88%左右"),
        ("总额分别为2864.16亿元、2065.98亿元。", "2864.16亿元"),
        ("成立网格党组织1万余个。", "1万余个"),
        ("组织30万人次以上的职工主题劳动。", "30万人次以上"),
        ("体育场能容纳6,476名观众。", "6,476名"),
        ("果实长约15至20厘米。", "约15至20厘米"),
        ("公园面积约为0.304平方公里。", "0.304平方公里"),
        ("她是北魏的第二位皇后。", "第二位"),
        ("搜索雷达的有效距离为30km。", "30km"),  # a unit in Latin letters
        ("土地面积为1.601 km²。", "1.601 km²"),  # after a space, with its exponent
        ("生长于海拔100米至2,800米的地区。", "100米至2,800米"),  # a range with a unit on both ends
        ("距离精度为±10m。", "±10m"),
        ("男女生比例约为1：7。", "1：7"),  # a ratio is one number
        ("婚礼耗资5亿日圆。", "5亿日圆"),
        ("体长约13公尺。", "约13公尺"),  # 公尺: metres, as Taiwan writes them
        ("公司有两千多名员工。", "两千多名"),  # in Chinese numerals, with 多, 万 and a unit
        ("制作费用约十万港元。", "约十万港元"),
        ("年供水量为五千二百万公吨。", "五千二百万公吨"),
    ],
)
def test_numbers_keep_qualifiers_and_units(sentence, expected):
    assert expected in texts("有多少？", sentence)


def test_a_grouped_number_is_never_cut_at_its_comma():
    assert "476名" not in texts("有多少？", "体育场能容纳6,476名观众。")


def test_a_word_after_a_spaced_number_is_no_unit():
    assert texts("有多少？", "共有3 the best。") == ["3"]


@pytest.mark.parametrize(
    "question, sentence, expected",
    [
        ("他多少岁开始从事漫画行业？", "73岁的他说，自己12岁开始画漫画，画了300部。", ["73岁", "12岁"]),  # ages only
        ("他几岁时去世？", "他于1990年去世，享年八十多岁。", ["八十多岁"]),
        ("香港在DVD分区属于第几区？", "香港属于第三区。", ["第三"]),  # an ordinal without a unit
        ("这是他们的第几张专辑？", "这是他们的第20张专辑，曾登上排行榜第18位。", ["第20张"]),  # the asked unit still counts
    ],
)
def test_ages_and_ordinals(question, sentence, expected):
    assert texts(question, sentence) == expected


@pytest.mark.parametrize(
    "sentence, expected", [("它们生存了近2,400万年。", "近2,400万年"), ("工期持续了两个多月。", "两个多月")]
)
def test_durations_keep_large_numbers_and_qualifiers(sentence, expected):
    assert texts("持续了多久？", sentence) == [expected]


def test_the_first_half_of_a_year_is_no_duration():
    assert texts("要多久？", "今年上半年具备通车条件，届时车程仅需5分钟。") == ["5分钟"]


def test_years_are_not_counts():
    assert "2022" not in texts("有多少？", "2022年完成改造。")


def test_unit_mismatch_leaves_no_candidate():
    assert texts("渤海大道全长多少公里？", "2022年6月30日，渤海大道实现全线通车。") == []


def test_dates():
    found = texts("什么时候通车？", "2022年6月30日，渤海大道实现全线通车。")
    assert found[0] == "2022年6月30日"
    assert "3月1日" in texts("哪天开始试乘？", "3月1日，大连地铁5号线开始试乘。")
    assert texts("比赛什么时候举行？", "第二届比赛于2009年9月27日-10月9日举行。") == ["2009年9月27日-10月9日"]


def test_people_from_word_tags():
    assert texts("副总工程师是谁？", "大连湾海底隧道有限公司副总工程师孙磊表示。") == ["孙磊"]


def test_a_transliterated_name_is_one_person():
    found = texts("谁获得了最有价值球员奖？", "总决赛最有价值球员奖由保罗·皮尔斯获得，他的队友是凯文·加内特。")
    assert found == ["保罗·皮尔斯", "凯文·加内特"]


def test_quoted_names_without_quotes():
    assert texts("计划叫什么？", "通过高校毕业生就业‘万岗计划’和“法治超市”。") == ["法治超市"]


def test_lists_stop_before_deng():
    assert "住房、教育、医疗、就业" in texts("有哪些民生实事？", "住房、教育、医疗、就业等与老百姓利益息息相关的民生实事高质量实施。")


def test_organisations_and_places_are_noun_runs():
    assert "三友电器设备有限公司" in texts("在哪家公司工作？", "谈起通车的感受，大连三友电器设备有限公司总经理黄伟东说。")
    assert "香川社区" in texts("住在哪个社区？", "家住西岗区香炉礁街道香川社区的居民李桂珍说。")


def test_a_which_question_for_an_administrative_unit_gets_the_units_of_an_address():
    # jieba: 大连市 / 中 / 山区 / 老虎滩 / 街道; 大 / 魏家 / 街道; 港湾 / 隽 (unknown) / 景 / 小区
    assert "老虎滩街道" in texts("和合大院在哪个街道？", "大连市中山区老虎滩街道中兴社区和合大院里。")
    assert "中山区" in texts("和合大院在哪个区？", "大连市中山区老虎滩街道中兴社区和合大院里。")
    assert "大魏家街道" in texts("王霞在哪个街道工作？", "大连金普新区大魏家街道农业资源丰富。")
    assert "港湾隽景小区" in texts("张岩家住哪个小区？", "家住大连市中山区港湾隽景小区的张岩说。")
    assert "中山区" not in texts("和合大院在哪里？", "大连市中山区老虎滩街道中兴社区和合大院里。")  # no unit asked


def test_every_span_is_an_exact_slice():
    question = analyse_question("有哪些？", 300)
    for span in candidates(question, PARKS):
        assert PARKS[span.start : span.end] == span.text


def fits(question: str, span: str) -> bool:
    return fits_kind(analyse_question(question, 300), span)


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("新政是哪一天出台的？", "2022年", False),  # a year does not say which day
        ("新政是哪一天出台的？", "2022年6月30日", True),
        ("新政是哪一年出台的？", "2022年", True),
        ("活动是几月开始的？", "2022年", False),
        ("活动是几月开始的？", "3月1日", True),
        ("活动是什么时候开始的？", "2022年", True),
        ("枢纽什么时候投入运行？", "今年以来", False),  # since when: the time of the news, not of the opening
        ("香港何时成为殖民地？", "十九世纪以来", True),  # since when a state holds
        ("这种变化从什么时候开始？", "近年来", True),
    ],
)
def test_date_questions_get_the_asked_precision(question, span, expected):
    assert fits(question, span) is expected


@pytest.mark.parametrize(
    "span, expected",
    [
        ("二十世纪初期", True),
        ("承光元年（577年）", True),
        ("明朝", True),
        ("上午9时", True),
        ("九岁的一天", True),  # an age
        ("高二的时候", True),
        ("在平日早上", True),
        ("四国征伐后", True),  # a time told by the event it follows, ends or falls in
        ("太平洋战争结束后", True),
        ("唐末", True),
        ("魏晋时", True),
        ("此后", False),  # a pointer to a time named elsewhere
        ("潘佩珠", False),
    ],
)
def test_when_is_answered_by_times_without_a_calendar_date(span, expected):
    assert fits("《越南亡国史》是什么时候写成的？", span) is expected


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("庆祝活动在哪里举行？", "大连工运史宣讲活动，为职工送演出", False),
        ("谁主持了会议？", "张三，李四", False),
        ("2022年新增了多少个社区？", "涉及142个小区，惠及居民10万户", False),
        ("庆祝活动在哪里举行？", "大连北站", True),
        ("有哪些措施？", "完善小区配套，提高舒适宜居性", True),  # lists and phrases may run over clauses
        ("主跑道有多长？", "1,980米", True),  # a thousands separator is no clause break
        ("主跑道有多长？", "1,98米", False),
    ],
)
def test_short_answer_kinds_stay_in_one_clause(question, span, expected):
    assert fits(question, span) is expected


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("隧道是由哪家单位设计的？", "大连湾海底隧道是我国又一“超级工程”", False),  # a statement, not a name
        ("新馆位于哪里？", "新馆是位于市中心的广场", False),
        ("她在哪部电影中首度担当女主角？", "《第一次不是你》", True),  # 是 inside a title
        ("这部电影的导演是谁？", "是枝裕和", True),
        ("隧道是由哪家单位设计的？", "大连湾海底隧道有限公司", True),
    ],
)
def test_names_are_not_statements(question, span, expected):
    assert fits(question, span) is expected


@pytest.mark.parametrize(
    "span, expected",
    [("渤海大道", True), ("中山路", True), ("老虎滩街道", False), ("中兴社区和合大院里", False)],
)
def test_which_road(span, expected):
    assert fits("和合大院位于哪条路？", span) is expected
