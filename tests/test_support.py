"""What the corpus around a span must hold: the question's names in its paragraph, specific words in a count's sentence."""

from qa.corpus import Corpus
from qa.document import parse_document
from qa.question import analyse_question
from qa.support import Support

TEXT = (
    "大连今年完成192个小区的改造，受益居民达到15万户。\n\n大连还将推进既有住宅安装电梯。\n\n大连新建口袋公园100处。\n\n"
    "大连湾海底隧道有限公司副总工程师孙磊表示，隧道今年通车。\n\n渤海大道实现全线通车。"
)


def support_and_rows():
    corpus = Corpus([parse_document(TEXT, "homes")])
    return Support(corpus), {row.sentence.text[:4]: i for i, row in enumerate(corpus.rows)}


def test_a_count_needs_one_of_the_question_s_specific_words_in_its_sentence():
    support, rows = support_and_rows()
    count = rows["大连今年"]
    assert support.count_for_other_matter(analyse_question("今年大连为多少户居民安装电梯？", 300), count)
    assert not support.count_for_other_matter(analyse_question("改造让多少户居民受益？", 300), count)
    assert not support.count_for_other_matter(analyse_question("大连有多少户居民？", 300), count)  # 大连: everywhere
    assert not support.count_for_other_matter(analyse_question("隧道什么时候通车？", 300), count)  # not a count


def test_a_measure_s_figure_is_for_another_matter_only_where_another_sentence_holds_the_asked_one():
    corpus = Corpus([parse_document(
        "今年计划投资50亿元，完成192个小区的改造。\n\n200公里农村公路修建等项目都有明细。\n\n大连新建口袋公园100处。\n\n"
        "大连湾海底隧道今年通车。\n\n渤海大道实现全线通车。", "plans")])
    support, figure = Support(corpus), 0
    assert support.count_for_other_matter(analyse_question("农村公路修建的总投资是多少？", 300), figure)
    assert not support.count_for_other_matter(analyse_question("小区改造的总投资是多少？", 300), figure)  # said there
    # 公园 and 修建 are specific, but no sentence holds both: the question may name the renovation loosely
    assert not support.count_for_other_matter(analyse_question("公园修建的总投资是多少？", 300), figure)


def test_names_must_be_in_the_paragraph_unless_the_corpus_is_about_them():
    support, rows = support_and_rows()
    tunnel = rows["大连湾海"]
    question = analyse_question("Who is the deputy chief engineer?", 300)
    assert support.missing_name(question, tunnel, [("渤海",), ("大道",)])
    assert not support.missing_name(question, tunnel, [("隧道", "海底")])
    assert not support.missing_name(question, tunnel, [("大连",)])  # in most sentences: what the corpus is about
    assert support.missing_name(analyse_question("沈阳的隧道副总工程师是谁？", 300), tunnel, [])  # a Chinese entity


def test_the_latest_year_a_document_names_is_said_as_this_year():
    corpus = Corpus([parse_document("2022年，大连建成口袋公园112处。\n\n今年，大连新开办10所公办幼儿园。\n\n2023年，大连再建口袋公园100处。", "parks")])
    support = Support(corpus)
    this_year = next(i for i, row in enumerate(corpus.rows) if row.sentence.text.startswith("今年"))
    last_year = next(i for i, row in enumerate(corpus.rows) if row.sentence.text.startswith("2022"))
    assert not support.missing_name(analyse_question("2023年大连新开办多少所公办幼儿园？", 300), this_year, [])
    assert support.missing_name(analyse_question("2022年大连新开办多少所公办幼儿园？", 300), this_year, [])
    assert support.missing_name(analyse_question("2023年大连建成多少处口袋公园？", 300), last_year, [])


def test_a_name_in_the_heading_above_a_paragraph_counts_as_said_there():
    corpus = Corpus([parse_document("标题行\n\n1 群团组织 联合开展协同创新活动\n\n今年推出10个项目，共同组织好庆祝活动。", "briefs")])
    support = Support(corpus)
    projects = next(i for i, row in enumerate(corpus.rows) if row.sentence.text.startswith("今年"))
    assert not support.missing_name(analyse_question("群团组织今年推出了多少个项目？", 300), projects, [])
    assert support.missing_name(analyse_question("沈阳今年推出了多少个项目？", 300), projects, [])


def test_a_sentence_about_other_years_does_not_answer_for_the_asked_one():
    corpus = Corpus([parse_document(
        "2022年，大连吸引700余名灵活就业人员建制参保。\n\n今年，大连再建口袋公园100处。\n\n大连新增停车位4万个。\n\n"
        "2023年大连将新开办10所公办幼儿园。", "years")])
    support = Support(corpus)
    rows = {row.sentence.text[:4]: i for i, row in enumerate(corpus.rows)}
    asked = analyse_question("今年大连将为多少名灵活就业人员建制参保？", 300)
    assert support.other_year(asked, rows["2022"])  # 今年 is 2023, the latest year the document names
    assert not support.other_year(analyse_question("2022年大连为多少名灵活就业人员建制参保？", 300), rows["2022"])
    assert not support.other_year(analyse_question("2023年大连再建多少处口袋公园？", 300), rows["今年，大"])
    assert not support.other_year(analyse_question("How many parks will Dalian build this year?", 300), rows["今年，大"])
    assert support.other_year(analyse_question("How many people joined the scheme in 2023?", 300), rows["2022"])
    assert not support.other_year(asked, rows["大连新增"])  # the sentence names no year: nothing to contradict
    assert not support.other_year(analyse_question("大连为多少名灵活就业人员建制参保？", 300), rows["2022"])  # no year asked


def test_a_year_reckoned_from_does_not_date_its_sentence():
    corpus = Corpus([parse_document("本届总决赛是继1987年以后再一次由凯尔特人及湖人对决。", "finals")])
    assert not Support(corpus).other_year(analyse_question("为什么2008年NBA总决赛被誉为梦幻对决？", 300), 0)
