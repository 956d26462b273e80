"""Who someone is, from how the text introduces them (qa.roles): on small texts, then on the article with the real models."""

import pytest

from qa.corpus import Corpus
from qa.document import parse_document
from qa.question import analyse_question
from qa.roles import answer_role, introductions

TEXT = (
    "“隧道通车后，北岸到南岸仅需5分钟。”大连湾海底隧道有限公司副总工程师孙磊表示。\n\n"
    "“往返节约了1个小时。”大连三友电器设备有限公司总经理黄伟东说。\n\n"
    "本报记者 王荣琦 摄\n\n"
    "“以前坐公交要40分钟以上。”乘客孙晋高兴地说。孙晋在中山广场上班。"
)


@pytest.fixture(scope="module")
def corpus():
    return Corpus([parse_document(TEXT, "t")])


def answered(corpus, question, names=()):
    found = answer_role(corpus, analyse_question(question, 300), list(names))
    if found is None:
        return None
    row, start, end = found
    return corpus.rows[row].document.source[start:end]


def test_an_introduction_runs_from_the_clause_start_to_the_name(corpus):
    (intro,) = introductions(corpus, "孙磊")
    assert TEXT[intro.start : intro.end] == "大连湾海底隧道有限公司副总工程师"
    assert TEXT[intro.title_start : intro.end] == "副总工程师"  # 副 belongs to the title
    assert [TEXT[i.start : i.end] for i in introductions(corpus, "王荣琦")] == ["本报记者"]  # a space before the name
    assert introductions(corpus, "中山广场") == []  # no title before it


@pytest.mark.parametrize(
    "question, expected",
    [
        ("孙磊是谁？", "大连湾海底隧道有限公司副总工程师"),  # who: the whole introduction
        ("谁是孙磊？", "大连湾海底隧道有限公司副总工程师"),
        ("黄伟东是做什么工作的？", "大连三友电器设备有限公司总经理"),  # a job: so too
        ("黄伟东担任什么职务？", "总经理"),  # a post: the title
        ("孙磊在大连湾海底隧道有限公司担任什么职务？", "副总工程师"),
        ("孙晋是什么身份？", "乘客"),
        ("孙晋在公司担任什么职务？", None),  # a passenger holds no post
        ("孙晋是做什么工作的？", None),
        ("孙磊在大连理工大学担任什么职务？", None),  # not where the text introduces him
        ("刘洋是谁？", None),  # not in the text
        ("孙磊的同事是谁？", None),  # asks about someone else
        ("孙磊和黄伟东是谁？", None),  # two people: not one introduction
        ("大连湾海底隧道有限公司副总工程师是谁？", None),  # asks for a name: the span rules' and the reader's work
        ("孙磊说隧道通车后要多久？", None),
        ("孙磊就职于哪家公司？", "大连湾海底隧道有限公司"),  # where they work: the words before the title
        ("黄伟东在哪里上班？", "大连三友电器设备有限公司"),
        ("黄伟东在哪个街道工作？", None),  # a company is no sub-district
        ("孙晋在哪里上班？", None),  # a passenger: the span rules and the reader read 我在中山广场上班
    ],
)
def test_what_a_question_asks_of_a_person(corpus, question, expected):
    assert answered(corpus, question) == expected


def test_an_english_question_names_the_person_in_chinese(corpus):
    assert answered(corpus, "Who is Sun Lei?", [("孙磊",)]) == "大连湾海底隧道有限公司副总工程师"
    assert answered(corpus, "What position does Huang Weidong hold?", [("黄伟东",)]) == "总经理"
    assert answered(corpus, "What is Huang Weidong's job?", [("黄伟东",)]) == "大连三友电器设备有限公司总经理"
    assert answered(corpus, "Where does Sun Lei live?", [("孙磊",)]) is None  # asks no role
    assert answered(corpus, "Who is Sun Lei's boss?", [("孙磊",)]) is None  # asks about someone else
    assert answered(corpus, "Which company does Sun Lei work for?", [("孙磊",)]) == "大连湾海底隧道有限公司"
    assert answered(corpus, "Where does Sun Lei work?", [("孙磊",)]) == "大连湾海底隧道有限公司"


@pytest.mark.model
@pytest.mark.parametrize(
    "question, expected",
    [
        ("孙磊是谁？", "大连湾海底隧道有限公司副总工程师"),
        ("王霞担任什么职务？", "副主任"),
        ("What is Huang Weidong's job?", "大连三友电器设备有限公司总经理"),  # the possessive read off the pinyin name
        ("Where does Wang Xia work?", "大魏家街道"),
    ],
)
def test_the_article_introduces_its_people(answerer, article, question, expected):
    result = answerer.answer(question)
    assert result.found and result.text == expected
    assert article[result.start : result.end] == expected
    assert result.method == "introduction"
    assert result.evidence[0].start <= result.start < result.end <= result.evidence[0].end


@pytest.mark.model
@pytest.mark.parametrize("question", ["张凯在瓦轴集团担任什么职务？", "李桂珍从事什么工作？", "张岩是做什么工作的？"])
def test_the_article_gives_no_post_for_these(answerer, question):
    assert not answerer.answer(question).found
