"""The label check: the words before a span that call it something other than what was asked."""

import pytest

from qa.labels import mislabelled
from qa.question import analyse_question

TUNNEL = "大连湾海底隧道平均深度水下23米、双向六车道、设计时速60公里，全长5.1公里。"
STREET = "“这条路带来了新的机遇。”大魏家街道副主任王霞说。"


def is_mislabelled(question: str, text: str, span: str) -> bool:
    return mislabelled(analyse_question(question, 300), text, text.index(span), text.index(span) + len(span))


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("大连湾海底隧道全长多少公里？", "60公里", True),  # labelled a speed
        ("大连湾海底隧道全长多少公里？", "5.1公里", False),  # labelled a length
        ("大连湾海底隧道的设计时速是多少？", "60公里", False),
        ("大连湾海底隧道的设计时速是多少？", "5.1公里", True),
        ("隧道在水下有多深？", "23米", False),  # the question names no measure word: nothing to contradict
        ("隧道的平均深度是多少？", "23米", False),
        ("隧道的最大深度是多少米？", "23米", True),  # the text gives the average
        ("What is the design speed of the tunnel?", "60公里", False),  # English measure nouns
        ("What is the total length of the tunnel?", "60公里", True),
        ("What is the budget of the tunnel?", "60公里", True),  # money asked, a speed given
    ],
)
def test_measures(question, span, expected):
    assert is_mislabelled(question, TUNNEL, span) is expected


def test_an_unlabelled_number_may_be_the_asked_measure():
    text = "共完成老旧小区改造717万平方米，涉及142个小区。"
    assert not is_mislabelled("2022年大连完成的老旧小区改造面积是多少？", text, "717万平方米")


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("大连住房公积金累计提取总额是多少？", "2864.16亿元", True),  # 归集's: the first of 分别为's figures
        ("大连住房公积金累计提取总额是多少？", "2065.98亿元", False),
        ("大连住房公积金个贷发放总额是多少？", "1570.02亿元", False),
        ("大连住房公积金的总额是多少？", "2864.16亿元", False),  # names no item: any may be meant
    ],
)
def test_figures_given_respectively_belong_to_their_items(question, span, expected):
    text = "截至2022年末，全市住房公积金累计归集、提取和个贷发放总额分别为2864.16亿元、2065.98亿元、1570.02亿元，均位居全省首位。"
    assert is_mislabelled(question, text, span) is expected


def test_a_label_of_another_clause_does_not_count():
    text = "设计时速60公里，隧道长5.1公里。"
    assert not is_mislabelled("隧道全长多少公里？", text, "5.1公里")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("大魏家街道的主任是谁？", True),  # the text names the deputy
        ("大魏家街道副主任是谁？", False),
        ("大魏家街道的书记是谁？", True),
        ("谁谈到了渤海大道带来的机遇？", False),  # no title asked
        ("Who is the deputy chief engineer of Bohai Avenue?", True),  # English titles too
        ("Who is the deputy director of Dawei Street?", False),
        ("Who talked about the new opportunities?", False),
    ],
)
def test_roles(question, expected):
    assert is_mislabelled(question, STREET, "王霞") is expected


@pytest.mark.parametrize(
    "text, span, expected",
    [
        ("大连三友电器设备有限公司总经理黄伟东说。", "黄伟东", True),
        ("本报讯 记者吕丽报道", "吕丽", True),
        ("公司董事长黄伟东说。", "黄伟东", False),
        ("公司常务董事长黄伟东说。", "黄伟东", False),  # a qualified title is still the title
        ("黄伟东说。", "黄伟东", False),  # no title in the text: nothing to contradict
    ],
)
def test_a_name_with_another_title(text, span, expected):
    assert is_mislabelled("大连三友电器设备有限公司的董事长是谁？", text, span) is expected


def test_a_chief_designer_is_not_a_deputy_chief_engineer():
    text = "“这条海底隧道工程今年上半年具备通车条件。”大连湾海底隧道有限公司副总工程师孙磊表示。"
    assert is_mislabelled("大连湾海底隧道的总设计师是谁？", text, "孙磊")
    assert not is_mislabelled("大连湾海底隧道有限公司副总工程师是谁？", text, "孙磊")


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("How long is the Dalian Bay undersea tunnel?", "60公里", True),  # labelled a speed
        ("How long is the Dalian Bay undersea tunnel?", "5.1公里", False),
        ("大连湾海底隧道有多长？", "60公里", True),
        ("How deep is the tunnel?", "23米", False),  # an average depth is a depth
    ],
)
def test_measures_asked_without_a_measure_word(question, span, expected):
    assert is_mislabelled(question, TUNNEL, span) is expected


def test_other_kinds_are_not_checked():
    assert not is_mislabelled("大连湾海底隧道全长是什么情况？", TUNNEL, "60公里")


HOUSING = "通过商业银行累计为317家缴存企业及11万户缴存职工发放信用贷款近120亿元。"


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("为多少户企业发放了信用贷款？", HOUSING, "11万户", True),  # the count of 职工 that follows it
        ("为多少家企业发放了信用贷款？", HOUSING, "317家", False),
        ("为多少户职工发放了信用贷款？", HOUSING, "11万户", False),
        ("2022年大连新增了多少个社区？", "新增停车位4.5万个，实现双赢。", "4.5万个", True),  # names no 社区
        ("大连新增了多少个停车泊位？", "新增停车位4.5万个，实现双赢。", "4.5万个", False),  # 停车 in both
        ("大连建成了多少处停车场？", "建成112处口袋公园及多处停车场。", "112处", True),
        ("大连建成了多少处口袋公园？", "建成112处口袋公园及多处停车场。", "112处", False),
        ("大连改造了多少平方米老旧小区？", "改造717万平方米惠及居民，涉及老旧小区142个。", "717万平方米", False),
        ("大连建成了多少处？", "建成112处口袋公园及多处停车场。", "112处", False),  # nothing counted asked
        ("计划修建多少公里城市道路？", "50条城市道路安装路灯、200公里农村公路修建等项目。", "200公里", True),  # in 公里 too
        ("计划修建多少公里农村公路？", "50条城市道路安装路灯、200公里农村公路修建等项目。", "200公里", False),
        ("计划修建多少公里城市道路？", "200公里农村公路修建等项目。", "200", False),  # no unit: not read as a count
        ("工会要送去多少场文艺表演？", "为职工送演出、送培训100场。", "100场", False),  # 演: a paraphrase
        ("有多少个小区完成了组建？", "743个社区全部组建，具备条件的702个村全部完成组建。", "702个", True),  # 村
        ("有多少支治安巡逻队？", "其中800余支志愿服务队伍成为重要力量。", "800余支", True),  # only 队 in common
        ("选树了多少名“十佳最美职工”？", "选树了90名“最美职工”和10名“十佳最美职工”。", "90名", True),  # another name
        ("选树了多少名“十佳最美职工”？", "选树了90名“最美职工”和10名“十佳最美职工”。", "10名", False),
    ],
)
def test_counts_of_something_else(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("隧道通车前，北岸到南岸的车程需要多久？", "5分钟", True),  # 届时: once it opens
        ("孙晋以前坐公交上班要花多长时间？", "40分钟以上", False),
        ("孙晋以前坐公交上班要花多长时间？", "十几分钟", True),  # 以后
        ("孙晋坐公交上班要花多长时间？", "十几分钟", False),  # no time asked: nothing to check
        ("谁说以前坐公交要40分钟以上？", "孙晋", False),  # 以后 is the speaker's, inside the quotation
    ],
)
def test_a_time_before_an_event_is_not_one_after_it(question, span, expected):
    sentence = {
        "5分钟": "隧道今年上半年具备通车条件，届时，隧道北岸和南岸之间车程仅需5分钟。",
        "孙晋": "“我在中山广场上班，以前坐公交要40分钟以上，以后只需要十几分钟。”乘客孙晋高兴地说。",
    }.get(span, "我在中山广场上班，以前坐公交要40分钟以上，以后只需要十几分钟。")
    start = sentence.index(span)
    assert mislabelled(analyse_question(question, 300), sentence, start, start + len(span)) is expected


def test_a_quoted_name_is_no_quotation():
    sentence = "隧道今年具备通车条件，届时，“海底隧道”两岸车程仅需5分钟。"  # 届时 still marks the 5分钟 as after
    start = sentence.index("5分钟")
    assert mislabelled(analyse_question("隧道通车前，两岸车程需要多久？", 300), sentence, start, start + 3)



@pytest.mark.parametrize(
    "question, span, expected",
    [
        ("隧道的通行费是多少？", "5", True),  # the 5 of 5分钟 is a time
        ("隧道通车后车程需要几个月？", "5", False),  # the question has a unit of its own
        ("新增停车位多少个？", "4万个", False),
    ],
)
def test_the_number_of_a_duration_is_no_amount(question, span, expected):
    text = "届时，车程仅需5分钟，新增停车位4万个。"
    assert is_mislabelled(question, text, span) is expected


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("城镇新增就业人数比上年增长了多少？", "大连全年城镇新增就业12.25万人。", "12.25万人", True),  # a total
        ("城镇新增就业人数比上年增长了多少？", "城镇新增就业比上年增长1.2万人。", "1.2万人", False),
        ("城镇新增就业多少人？", "大连全年城镇新增就业12.25万人。", "12.25万人", False),
    ],
)
def test_a_change_is_not_a_total(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


TRIAL = "3月1日，大连地铁5号线开始为期半个月的免费参观试乘体验活动，首日有近3000名社会各界代表和热心市民参与。"


@pytest.mark.parametrize(
    "question, expected",
    [
        ("地铁5号线免费试乘体验活动一共有多少人参与？", True),  # the figure is the first day's
        ("How many people took part in the free trial rides in total?", True),
        ("地铁5号线免费试乘体验活动首日一共有多少人参与？", False),  # the question names the part
        ("地铁5号线免费试乘体验活动首日有多少人参与？", False),
        ("地铁5号线免费试乘体验活动有多少人参与？", False),  # no whole asked: the figure may be all the text gives
    ],
)
def test_a_part_is_not_the_whole(question, expected):
    assert is_mislabelled(question, TRIAL, "近3000名") is expected


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("老旧小区改造每平方米的造价是多少？", "计划投资50亿元，完成1100万平方米的改造面积。", "50亿元", True),
        ("老旧小区改造每平方米的造价是多少？", "改造造价为每平方米800元。", "800元", False),
        ("老旧小区改造每平方米的造价是多少？", "改造造价为800元/平方米。", "800元", False),
        ("大连居民人均收入是多少？", "全市居民人均可支配收入4.8万元。", "4.8万元", False),
        ("大连居民人均收入是多少？", "全市居民收入总额4.8亿元。", "4.8亿元", True),
        ("和合大院每到周六有多少人参加清扫？", "每到周六，30名居民参加清扫。", "30名", False),  # 每到周六 is a time
    ],
)
def test_a_total_is_not_a_figure_per_unit(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("大连为缴存职工发放的信用贷款利率是多少？", "为11万户缴存职工发放信用贷款近120亿元。", "近120亿元", True),
        ("2022年大连民生投入占财政支出的比重是多少？", "民生投入占财政支出比重达88%左右。", "88%左右", False),
        ("男女比例是多少？", "全校男女比例为1：3。", "1：3", False),
        ("大连的城市绿地率是多少？", "城市绿地率达到四成。", "四成", False),
        ("What percentage of spending went to people's livelihoods?", "民生投入占财政支出比重达88%左右。", "88%左右", False),
        ("What percentage of spending went to people's livelihoods?", "民生投入达120亿元。", "120亿元", True),
    ],
)
def test_a_rate_or_share_is_a_percentage_or_a_ratio(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


BOHAI = "2022年6月30日，大连市规模最大、标准最高、里程最长的城市快速路——渤海大道实现全线通车。"


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("渤海大道是哪一年开始建设的？", BOHAI, "2022年", True),  # the sentence dates the opening, not the building
        ("渤海大道什么时候全线通车？", BOHAI, "2022年6月30日", False),
        ("渤海大道全线通车是什么时候？", BOHAI, "2022年6月30日", False),  # no words after 什么时候: nothing to check
        ("这家公司是哪一年成立的？", "这家公司于1990年创立。", "1990年", False),  # one shared character (立) is enough
        ("When did construction of Bohai Avenue begin?", BOHAI, "2022年6月30日", False),  # Chinese words only
    ],
)
def test_a_date_of_another_event(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("大连哪个区的口袋公园最多？", "大连市沙河口区星海街新建的口袋公园人气颇旺。", "沙河口区", True),  # no ranking
        ("大连市规模最大的城市快速路是什么？", BOHAI, "渤海大道", False),
        ("哪个城市的公积金指标最高？", "大连住房公积金三项指标均位居全省首位。", "大连", False),
        ("大连的口袋公园有多少处？", "大连市沙河口区星海街新建的口袋公园人气颇旺。", "沙河口区", False),  # nothing ranked asked
    ],
)
def test_a_superlative_needs_a_ranking(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


HEATING = "在本季供暖期，大连市对6家擅自停止供热、不连续运行的供热企业从从严从重进行顶格处罚。"


@pytest.mark.parametrize(
    "question, expected",
    [
        ("大连市一共有多少家供热企业？", True),  # the 6 are those that stopped heating
        ("大连对多少家供热企业进行了顶格处罚？", False),  # no whole asked
        ("一共有多少家擅自停止供热、不连续运行的供热企业被处罚？", False),  # the question shares the modifier
    ],
)
def test_a_subset_is_not_all_of_them(question, expected):
    assert is_mislabelled(question, HEATING, "6家") is expected


PARKS = "大连拆违建绿、拆后善用，建成112处口袋公园及多处停车场，新增停车位4.5万个，实现双赢。"


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("口袋公园和停车位加起来一共多少个？", PARKS, "4.5万个", True),
        ("口袋公园和停车位加起来一共多少个？", "两者合计共建成4.6万个。", "4.6万个", False),
        ("新增停车位一共多少个？", PARKS, "4.5万个", False),  # nothing added up
    ],
)
def test_a_sum_is_a_figure_called_a_total(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected


@pytest.mark.parametrize(
    "question, text, span, expected",
    [
        ("哪些小区还没有完成改造？", "共完成老旧小区改造717万平方米，涉及142个小区。", "142个小区", True),
        ("哪些小区还没有完成改造？", "香川小区尚未完成改造。", "香川小区", False),
        ("哪些小区完成了改造？", "香川小区完成了改造。", "香川小区", False),
        ("未来大连将建设什么？", "大连将建设公园城市。", "公园城市", False),  # 未来 is no negation
        ("他为什么没有参选总统？", "他计划参选总统，但参选资格被法院驳回。", "参选资格被法院驳回", False),  # why: said otherwise
    ],
)
def test_a_negated_question_needs_a_negation(question, text, span, expected):
    assert is_mislabelled(question, text, span) is expected
