"""Pipeline logic with a fake embedder: offsets end to end, evidence, abstention, bad input."""

import pytest

from qa.combine import Choice
from qa.pipeline import NULL_MARGIN, Answerer
from qa.settings import Settings

TEXTS = {
    "bridge": "2022年6月30日，渤海大道实现全线通车。这条道路往返节约了1个小时。",
    "parks": "2022年，大连建成112处口袋公园，新增停车位4.5万个。\n\n大连湾海底隧道有限公司副总工程师孙磊表示，隧道今年通车。",
}


RULES_ONLY = Settings(use_reader=False)


@pytest.fixture
def answerer(fake_embedder):
    return Answerer.from_texts(TEXTS, RULES_ONLY, embedder=fake_embedder)


def test_answer_is_an_exact_span_inside_its_evidence(answerer):
    result = answerer.answer("大连建成了多少处口袋公园？")
    assert result.found and result.text == "112处" and result.doc_id == "parks"
    assert TEXTS["parks"][result.start : result.end] == result.text
    top = result.evidence[0]
    assert top.doc_id == "parks" and top.start <= result.start and result.end <= top.end
    assert TEXTS["parks"][top.start : top.end] == top.text
    assert 0.0 <= result.score <= 1.0


def test_dates_and_people(answerer):
    assert answerer.answer("渤海大道什么时候全线通车？").text == "2022年6月30日"
    assert answerer.answer("大连湾海底隧道有限公司副总工程师是谁？").text == "孙磊"


def test_unit_the_article_never_gives_means_no_answer(answerer):
    result = answerer.answer("渤海大道全长多少公里？")
    assert not result.found and result.text == "" and result.start is None
    assert result.evidence, "closest sentences are still shown"


def test_question_about_something_absent_is_not_answered(answerer):
    assert not answerer.answer("大连市的市长是谁？").found


def test_threshold_zero_returns_the_best_candidate(fake_embedder):
    lenient = Answerer.from_texts(TEXTS, Settings(answer_threshold=0.0, use_reader=False), embedder=fake_embedder)
    result = lenient.answer("大连市的市长是谁？")
    assert result.found == (result.text != "")


def test_empty_question_raises_value_error(answerer):
    with pytest.raises(ValueError, match="empty"):
        answerer.answer("   ")


def test_overlong_question_is_truncated_with_a_note(answerer):
    result = answerer.answer("口袋公园有多少处？" * 2000)
    assert len(result.question) == Settings().max_question_chars
    assert result.notes and "300" in result.notes[0]


@pytest.mark.parametrize("question", ["<script>alert(1)</script>", "😀😀？", "\x00\x1b渤海大道", "渤海大道什麼時候全線通車？"])
def test_odd_input_never_crashes(answerer, question):
    result = answerer.answer(question)
    assert result.found in (True, False) and "total" in result.timings


def test_evidence_count_and_order(fake_embedder):
    answerer = Answerer.from_texts(TEXTS, Settings(evidence_count=2, use_reader=False), embedder=fake_embedder)
    result = answerer.answer("渤海大道什么时候全线通车？")
    assert len(result.evidence) == 2
    assert result.evidence[0].start <= result.start < result.end <= result.evidence[0].end


def test_texts_must_be_a_mapping(fake_embedder):
    with pytest.raises(TypeError, match="dict"):
        Answerer.from_texts(["not", "a", "dict"], RULES_ONLY, embedder=fake_embedder)


class FakeReader:
    """Answers with a fixed phrase wherever it occurs, with a fixed probability and a span score `margin` logits above
    its no-answer score."""

    def __init__(self, phrase: str, probability: float, margin: float = 5.0):
        self.phrase, self.probability, self.margin, self.passages = phrase, probability, margin, None

    def read(self, question, passages, top_n=5, max_answer_chars=30):
        from qa.reader import ReaderResult, ReaderSpan

        self.passages = passages
        spans = tuple(
            ReaderSpan(i, p.index(self.phrase), p.index(self.phrase) + len(self.phrase), self.phrase, self.margin)
            for i, p in enumerate(passages)
            if self.phrase in p
        )
        return ReaderResult(spans, 0.0, self.probability if spans else 0.0)


def test_reader_answers_what_the_rules_cannot(fake_embedder):
    reader = FakeReader("往返节约了1个小时", 0.9)
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=reader)
    result = answerer.answer("这条道路带来了什么好处？")
    assert result.found and result.text == "往返节约了1个小时" and "reader" in result.method
    assert TEXTS["bridge"][result.start : result.end] == result.text
    assert result.evidence[0].start <= result.start < result.end <= result.evidence[0].end
    assert len(reader.passages) <= 3, "the reader reads a few paragraphs in one batch"


def test_rules_keep_their_boundaries_when_the_reader_agrees(fake_embedder):
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=FakeReader("工程师孙磊", 0.9))
    result = answerer.answer("大连湾海底隧道有限公司副总工程师是谁？")
    assert result.text == "孙磊" and result.method == "rules+reader"


def test_a_sure_number_does_not_wait_for_the_reader(fake_embedder):
    reader = FakeReader("112", 0.9)
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=reader)
    result = answerer.answer("2022年大连建成了多少处口袋公园？")
    if result.score >= 0.8:
        assert reader.passages is None and result.method == "rules"
    else:
        assert reader.passages is not None


def test_unsure_reader_does_not_make_an_answer(fake_embedder):
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=FakeReader("孙磊", 0.2))
    assert not answerer.answer("大连市的市长是谁？").found


def test_reader_span_barely_surer_than_no_answer_is_not_an_answer(fake_embedder):
    question = "这条道路带来了什么好处？"
    sure = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=FakeReader("往返节约了1个小时", 0.99, NULL_MARGIN))
    doubted = Answerer.from_texts(
        TEXTS, embedder=fake_embedder, reader=FakeReader("往返节约了1个小时", 0.99, NULL_MARGIN - 0.5)
    )
    assert sure.answer(question).found
    assert not doubted.answer(question).found


def test_an_english_question_is_not_held_to_the_null_margin(fake_embedder):
    reader = FakeReader("往返节约了1个小时", 0.99, NULL_MARGIN - 0.5)
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=reader)
    result = answerer.answer("What benefit did this road bring?")  # only the reader finds it
    assert result.text == "往返节约了1个小时" and result.method == "reader"


def test_reader_span_of_the_wrong_kind_is_not_an_answer(fake_embedder):
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=FakeReader("1个小时", 0.99))
    assert not answerer.answer("渤海大道全长多少公里？").found


def test_answers_carry_no_punctuation_or_unmatched_quotes_at_their_edges(fake_embedder):
    text = "大连“公园城市”建设的目标是实现“300米见绿、500米进园”，让市民在绿色中生活。"
    answerer = Answerer.from_texts({"goal": text}, RULES_ONLY, embedder=fake_embedder)
    choice = Choice(0, text.index("300"), text.index("让市民"), 0.9, "reader")  # "300米见绿、500米进园”，"
    trimmed = answerer._trimmed(choice)
    assert text[trimmed.start : trimmed.end] == "300米见绿、500米进园"
    assert answerer._trimmed(Choice(0, text.index("，"), text.index("，") + 1, 0.9, "reader")) is None


def test_a_reader_span_is_checked_as_it_would_be_shown(fake_embedder):
    # "孙磊。" runs over a clause break only by the full stop that the shown answer drops: it is a name
    text = "隧道工程的总设计师是孙磊。他表示隧道今年通车。"
    answerer = Answerer.from_texts({"tunnel": text}, embedder=fake_embedder, reader=FakeReader("孙磊。", 0.95))
    result = answerer.answer("隧道工程的总设计师是谁？")
    assert result.text == "孙磊" and "reader" in result.method


def test_a_mislabelled_reader_span_leaves_the_rules_span(fake_embedder):
    # The reader is sure of the general manager; the question asks for the chairman (qa.labels)
    text = "三友电器公司董事长王强介绍了新产品。公司总经理黄伟东说，今年产量翻番。"
    answerer = Answerer.from_texts({"firm": text}, embedder=fake_embedder, reader=FakeReader("黄伟东", 0.99))
    result = answerer.answer("三友电器公司的董事长是谁？")
    assert result.text == "王强"


def test_a_count_in_a_sentence_about_another_matter_is_not_an_answer(fake_embedder):
    # 15万户 counts 居民, but its sentence is about renovation: the question's 安装, 电梯 are in another one
    text = ("今年，大连完成192个小区的改造，受益居民达到15万户。大连还将继续推进既有住宅安装电梯。大连新建口袋公园100处。"
            "改造包括门窗改造。目前大连还将新建学校。")
    answerer = Answerer.from_texts({"homes": text}, embedder=fake_embedder, reader=FakeReader("15万户", 0.99))
    assert not answerer.answer("今年大连为多少户居民安装电梯？").found
    assert not answerer.answer("大连为多少户居民更换了门窗？").found  # one specific word, 门窗, is enough
    assert answerer.answer("目前大连有多少户居民？").text == "15万户"  # 目前 (a time) is not specific
    assert answerer.answer("今年大连的改造让多少户居民受益？").text == "15万户"


def test_a_mislabelled_first_candidate_leaves_a_runner_up_of_its_sentence(fake_embedder):
    text = "大连选树了90名“新时代最美职工”和10名“十佳新时代最美职工”。大连新建口袋公园100处。"
    answerer = Answerer.from_texts({"staff": text}, Settings(answer_threshold=0.0, use_reader=False), embedder=fake_embedder)
    assert answerer.answer("大连选树了多少名“十佳新时代最美职工”？").text == "10名"


def test_an_english_question_names_what_the_paragraph_must_mention(fake_embedder):
    text = "2022年6月30日，渤海大道实现全线通车。\n\n大连湾海底隧道有限公司副总工程师孙磊表示，隧道今年通车。"
    answerer = Answerer.from_texts({"roads": text}, embedder=fake_embedder, reader=FakeReader("孙磊", 0.99))
    assert not answerer.answer("Who is the deputy chief engineer of Bohai Avenue?").found  # no 渤海, 大道 there
    assert not answerer.answer("Who is the deputy chief engineer of Shenyang's tunnel?").found  # 沈阳: not in the texts
    assert answerer.answer("Who is the deputy chief engineer of the tunnel company?").text == "孙磊"


def test_a_date_inside_the_clause_the_reader_marks_is_its_answer_but_not_a_number():
    from qa.pipeline import _fitting_span
    from qa.question import analyse_question
    from qa.reader import ReaderResult, ReaderSpan

    text = "正德五年（1510年）十月，刘六、刘七在霸州起义，攻打了8个县。"

    def span(part: str, score: float) -> ReaderSpan:
        return ReaderSpan(0, text.index(part), text.index(part) + len(part), part, score)

    when = ReaderResult((span("正德五年（1510年）十月，刘六", 9.0), span("1510年", 8.0)), null_score=0.0, probability=0.99)
    assert _fitting_span(analyse_question("刘六和刘七是何时在霸州起义的？", 300), when, [text])[0].text == "1510年"
    count = ReaderResult((span("在霸州起义，攻打了8个县", 9.0), span("8个县", 8.0)), null_score=0.0, probability=0.99)
    assert _fitting_span(analyse_question("刘六和刘七攻打了多少个县？", 300), count, [text]) is None  # many numbers in a clause
    assert _fitting_span(analyse_question("刘六和刘七攻打了多少个县？", 300), ReaderResult((span("8个县", 8.0),), 0.0, 0.99), [text])
