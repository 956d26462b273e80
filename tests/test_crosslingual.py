"""English terms -> Chinese words of the corpus, through CC-CEDICT."""

import pytest

from eval.datasets import ARTICLE_SET, load_article_set
from qa.crosslingual import Glossary, _dictionary, _syllable_splits, chinese_question
from qa.question import NUMBER, ORG, PERSON, PHRASE
from qa.text import is_english


def test_phrases_win_over_words_and_stay_inside_the_vocabulary():
    glossary = Glossary(["渤海", "大道", "通车", "开", "交通"])
    terms = dict(glossary.translate("When did the Bohai Avenue open to traffic?"))
    assert terms["open to traffic"] == ("通车",)
    assert terms["bohai"] == ("渤海",) and terms["avenue"] == ("大道",)
    assert all(w in {"渤海", "大道", "通车", "开", "交通"} for words in terms.values() for w in words)


def test_each_alternative_of_a_definition_is_a_phrase():
    # CC-CEDICT: 签约 "to sign a contract or agreement"; the whole definition is too long to be a phrase
    glossary = Glossary(["张凯", "签约", "集团"])
    assert dict(glossary.translate("Which company did Zhang Kai sign a contract with?"))["sign a contract"] == ("签约",)


def test_a_figurative_sense_is_a_translation_too():
    # CC-CEDICT: 骨干 "diaphysis (long segment of a bone)/fig. backbone", beside 主干线 "backbone; main line"
    glossary = Glossary(["骨干", "主干线", "志愿者"])
    assert "骨干" in dict(glossary.translate("How many backbone volunteers are there?"))["backbone"]


def test_plurals_and_names_and_numbers():
    glossary = Glossary(["2022年，大连建成112处口袋公园。"])
    terms = dict(glossary.translate("How many pocket parks did Dalian build in 2022?"))
    assert "公园" in terms["parks"] and "大连" in terms["dalian"] and terms["2022"] == ("2022",)
    assert "how" not in terms and "many" not in terms


def test_words_the_corpus_lacks_have_no_translation():
    glossary = Glossary(["大连建成口袋公园。"])
    assert dict(glossary.translate("Who is the mayor of Dalian?"))["mayor"] == ()


def test_a_name_is_found_by_its_sound_wherever_it_stands_in_a_long_text():
    filler = "。".join(["市民在这里享受生活"] * 20_000)
    glossary = Glossary([filler, "居民李桂珍说", filler])
    assert dict(glossary.translate("What did Li Guizhen say?"))["li guizhen"] == ("李桂珍",)
    assert _syllable_splits("guizhen", _dictionary().characters, 4) == [("gui", "zhen")]


def test_chinese_question_uses_the_longest_translation_the_passage_holds():
    passage = "大连湾海底隧道全长5.1公里，渤海大道全线通车。"
    terms = [("undersea tunnel", ("海底隧道", "隧道")), ("length", ("全长",)), ("undersea", ("海底隧道", "海底")),
             ("shenyang", ("沈阳",))]
    assert chinese_question(terms, NUMBER, passage) == "海底隧道全长多少？"  # repeated and absent words dropped
    assert chinese_question([("tunnel works", ("隧道工程", "隧道"))], PHRASE, passage) == "隧道什么？"
    assert chinese_question([("shenyang", ("沈阳",))], PERSON, passage) is None


def test_a_which_question_asks_for_its_head_without_translating_it():
    glossary = Glossary(["毕业于大连理工大学的张凯签约了瓦轴集团。"])
    terms = glossary.translate("Which university did the graduate Zhang Kai attend?")
    question = chinese_question(terms, ORG, "毕业于大连理工大学的张凯签约了瓦轴集团。", head="大学")
    assert question.endswith("哪个大学？") and "张凯" in question and "理工" not in question


def test_names_written_in_pinyin():
    glossary = Glossary(["家住西岗区香川社区的居民李桂珍说。"])
    terms = dict(glossary.translate("Where does Li Guizhen of the Xiangchuan community live?"))
    assert terms["li guizhen"] == ("李桂珍",) and terms["xiangchuan"] == ("香川",)


def test_a_definition_that_is_the_whole_term_comes_first():
    glossary = Glossary(["市民在这里享受生活。"])
    assert dict(glossary.translate("Where do they live?"))["live"] == ("生活",)  # not 享受, "to live it up"


@pytest.mark.model
def test_english_questions_find_their_sentence_as_chinese_ones_do(answerer):
    # under 85 % means the translations no longer reach the dense query (docs/verifier.md, English questions)
    items = [item for item in load_article_set(ARTICLE_SET).items
             if item.split == "tune" and item.answerable and is_english(item.question)]
    found = 0
    for item in items:
        hits = answerer.context(item.question).hits[:3]
        rows = [answerer.corpus.rows[hit.row].sentence for hit in hits]
        found += any(span.overlaps(row.start, row.end, None) for row in rows for span in item.evidence_spans)
    assert len(items) >= 40 and found / len(items) >= 0.85
