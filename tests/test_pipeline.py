"""Pipeline logic with a fake embedder and a hand-set verifier: offsets end to end, evidence, abstention, bad input.

What the shipped verifier decides is tested with the real models (tests/test_answers.py, tests/test_verifier.py).
"""

import pytest

from qa.pipeline import Answerer
from qa.settings import Settings
from qa.verify.features import FEATURES
from qa.verify.verifier import Verifier

TEXTS = {
    "bridge": "2022年6月30日，渤海大道实现全线通车。这条道路往返节约了1个小时。",
    "parks": "2022年，大连建成112处口袋公园，新增停车位4.5万个。\n\n大连湾海底隧道有限公司副总工程师孙磊表示，隧道今年通车。",
}


RULES_ONLY = Settings(use_reader=False)
# A verifier that trusts the rules' score and the reader's share, and the asked form; set by hand for logic tests.
_WEIGHTS = {"rules_score": 8.0, "reader_share": 10.0, "fits_asked_form": 2.0, "from_introduction": 8.0}
VERIFIER = Verifier(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES),
                    tuple(_WEIGHTS.get(name, 0.0) for name in FEATURES), -6.0, 0.5, {"fitted": "by hand, for tests"})


@pytest.fixture
def answerer(fake_embedder):
    return Answerer.from_texts(TEXTS, RULES_ONLY, embedder=fake_embedder, verifier=VERIFIER)


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
    lenient = Answerer.from_texts(
        TEXTS, Settings(answer_threshold=0.0, use_reader=False), embedder=fake_embedder, verifier=VERIFIER
    )
    result = lenient.answer("大连市的市长是谁？")
    assert result.found == (result.text != "")


def test_empty_question_raises_value_error(answerer):
    with pytest.raises(ValueError, match="empty"):
        answerer.answer("   ")


def test_overlong_text_is_answered_on_its_last_question_with_a_note(answerer):
    result = answerer.answer("居民都喜欢到这里休闲、健身。" * 40 + "2022年大连建成了多少处口袋公园？")
    assert result.question == "2022年大连建成了多少处口袋公园？" and result.text == "112处"
    assert result.notes and "300" in result.notes[0] and "最后一个问句" in result.notes[0]


def test_overlong_text_without_a_question_is_declined_with_a_request(answerer):
    result = answerer.answer("大连建成口袋公园" * 2000)
    assert not result.found and result.text == "" and len(result.question) == Settings().max_question_chars
    assert "请只输入一个问题" in result.notes[0]


@pytest.mark.parametrize("question", ["<script>alert(1)</script>", "😀😀？", "\x00\x1b渤海大道", "渤海大道什麼時候全線通車？"])
def test_odd_input_never_crashes(answerer, question):
    result = answerer.answer(question)
    assert result.found in (True, False) and "total" in result.timings


def test_evidence_count_and_order(fake_embedder):
    answerer = Answerer.from_texts(
        TEXTS, Settings(evidence_count=2, use_reader=False), embedder=fake_embedder, verifier=VERIFIER
    )
    result = answerer.answer("渤海大道什么时候全线通车？")
    assert len(result.evidence) == 2
    assert result.evidence[0].start <= result.start < result.end <= result.evidence[0].end


def test_texts_must_be_a_mapping(fake_embedder):
    with pytest.raises(TypeError, match="dict"):
        Answerer.from_texts(["not", "a", "dict"], RULES_ONLY, embedder=fake_embedder, verifier=VERIFIER)


@pytest.mark.parametrize("texts", [{}, {"a": ""}, {"a": " \n\u3000", "b": "\t"}])
def test_no_text_at_all_is_a_clear_error(fake_embedder, texts):
    with pytest.raises(ValueError, match="no text to answer from"):
        Answerer.from_texts(texts, RULES_ONLY, embedder=fake_embedder, verifier=VERIFIER)


def test_a_lone_surrogate_is_replaced_and_offsets_hold(fake_embedder, capsys):
    text = "2022年，大连\ud800建成112处口袋公园。"
    answerer = Answerer.from_texts({"broken": text}, RULES_ONLY, embedder=fake_embedder, verifier=VERIFIER)
    assert answerer.document.source == text.replace("\ud800", "\ufffd")
    assert "1 undecodable characters replaced" in capsys.readouterr().err
    result = answerer.answer("大连建成了多少处口袋公园？")
    assert answerer.document.source[result.start : result.end] == result.text == "112处"


class FakeReader:
    """Answers with a fixed phrase wherever it occurs, with a fixed probability and a span score `margin` logits above
    its no-answer score."""

    def __init__(self, phrase: str, probability: float, margin: float = 5.0):
        self.phrase, self.probability, self.margin, self.passages, self.question = phrase, probability, margin, None, None

    def read(self, question, passages, top_n=5, max_answer_chars=30):
        from qa.reader import ReaderResult, ReaderSpan

        self.passages, self.question = passages, question
        spans = tuple(
            ReaderSpan(i, p.index(self.phrase), p.index(self.phrase) + len(self.phrase), self.phrase, self.margin)
            for i, p in enumerate(passages)
            if self.phrase in p
        )
        return ReaderResult(spans, 0.0, self.probability if spans else 0.0)

    def joined_question(self, question, terms):
        return f"{question} {terms}"


def test_reader_answers_what_the_rules_cannot(fake_embedder):
    reader = FakeReader("往返节约了1个小时", 0.9)
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=reader, verifier=VERIFIER)
    result = answerer.answer("这条道路带来了什么好处？")
    assert result.found and result.text == "往返节约了1个小时" and "reader" in result.method
    assert TEXTS["bridge"][result.start : result.end] == result.text
    assert result.evidence[0].start <= result.start < result.end <= result.evidence[0].end
    assert len(reader.passages) <= 3, "the reader reads a few paragraphs in one batch"
    assert result.why and all(name in FEATURES for name, _ in result.why)


def test_a_declined_question_says_why(answerer):
    result = answerer.answer("大连市的市长是谁？")
    assert not result.found and result.score < VERIFIER.threshold
    assert result.why == () or result.why[0][0] in FEATURES


def test_an_answer_over_a_photo_caption_is_shown_without_it(fake_embedder):
    # A sentence that a photo caption and its credit cut is rejoined: the answer is its text, not the caption's
    text = ("渤海大道通车\n\n大连交通建设捷报频传，多条道路今年建成通车。\n\n大魏家街道农业资源丰富，是远近闻名的“菜篮子”。“这\n\n\n\n"
            "大连市民参与地铁5号线试乘体验活动。\n\n本报记者 王荣琦 摄\n\n条渤海大道堪称金光大道，给街道带来了新的机遇。”副主任王霞说。")
    reader = FakeReader("这条渤海大道堪称金光大道", 0.9)
    answerer = Answerer.from_texts({"photo": text}, embedder=fake_embedder, reader=reader, verifier=VERIFIER)
    result = answerer.answer("渤海大道给街道带来了什么？")
    assert result.found and result.text == "这条渤海大道堪称金光大道"
    assert "".join(text[s:e] for s, e in result.pieces) == result.text and len(result.pieces) == 2
    assert "摄" not in result.text and "摄" in text[result.start : result.end]


def test_an_english_question_is_embedded_with_its_translations(fake_embedder):
    asked = []
    encode_queries = fake_embedder.encode_queries
    fake_embedder.encode_queries = lambda texts, *args, **kwargs: asked.extend(texts) or encode_queries(texts)
    answerer = Answerer.from_texts(TEXTS, RULES_ONLY, embedder=fake_embedder, verifier=VERIFIER)
    answerer.answer("How many pocket parks did Dalian build in 2022?")
    answerer.answer("大连建成了多少处口袋公园？")
    assert asked[0].startswith("How many pocket parks did Dalian build in 2022?") and {"公园", "大连"} <= set(asked[0].split())
    assert asked[1] == "大连建成了多少处口袋公园？"


def test_an_english_question_reaches_the_reader_with_the_passage_s_words_for_its_words(fake_embedder):
    reader = FakeReader("112处", 0.9)
    answerer = Answerer.from_texts(TEXTS, embedder=fake_embedder, reader=reader, verifier=VERIFIER)
    answerer.answer("How many pocket parks did Dalian build in 2022?")
    english, chinese = reader.question.split("? ")
    assert english == "How many pocket parks did Dalian build in 2022"
    assert chinese.endswith("多少？") and "口袋" in chinese and "大连" in chinese
    answerer.answer("大连建成了多少处口袋公园？")
    assert reader.question == "大连建成了多少处口袋公园？"
