"""Each verifier feature on real article sentences, with the real models (qa.verify.features)."""

import math

import pytest

from qa.verify.candidates import ReaderProposal, RuleProposal, SpanCandidate
from qa.verify.features import FEATURES, KINDS, NOT_READ, Context, describe

pytestmark = pytest.mark.model


def _candidate(answerer, fragment: str, span: str, **said) -> SpanCandidate:
    """A candidate for `span` inside the article sentence that holds `fragment`."""
    row = next(i for i, r in enumerate(answerer.corpus.rows) if fragment in r.sentence.text)
    start = answerer.corpus.rows[row].sentence.text.index(span)
    return SpanCandidate(row, start, start + len(span), span, **said)


def _features(answerer, question: str, candidate: SpanCandidate) -> dict:
    context = answerer.context(question)
    return describe(context, candidate)


def test_a_right_count_that_both_sources_propose(answerer):
    context = answerer.context("大连有多少家法治超市？")
    by_text = {c.text: c for c in context.candidates}
    right = describe(context, by_text["1690家"])
    assert right["from_rules"] == right["from_reader"] == right["sources_agree"] == 1.0
    assert right["rules_score"] > 0.5 and right["reader_margin"] > 0.0 and right["reader_first"] == 1.0
    assert right["fits_asked_form"] == 1.0 and right["spans_clauses"] == 0.0 and right["asks_number"] == 1.0
    assert right["sentence_rank"] == 1.0 and right["match"] > 0.5 and right["missing_name"] == 0.0
    assert right["reader_best_margin"] == right["reader_margin"] and right["english"] == 0.0
    assert right["rules_score_typed"] == right["rules_score"] and right["reader_margin_phrase"] == 0.0
    assert right["reader_rank"] == 1.0 and right["reader_share"] > 0.5 and right["reader_margin_english"] == 0.0
    assert right["dense"] > 0.0 and right["keyword_hit"] == 1.0 and right["missing_term"] == 0.0
    assert right["absent_from_corpus"] == 0.0 and right["holds_question_term"] == 0.0
    assert right["typed_whole"] == 1.0 and right["typed_inside"] == pytest.approx(math.log(2))
    assert right["inside_reader_first"] == 0.0 and right["holds_rules_span"] == 0.0
    assert describe(context, by_text["1690"])["inside_reader_first"] == 1.0
    clause = _candidate(answerer, "1690家", "1690家“法治超市”，为居民提供五类十项基层法律服务")
    described = describe(context, clause)
    assert described["spans_clauses"] == 1.0 and described["fits_asked_form"] == 0.0
    assert described["holds_rules_span"] == 1.0 and described["typed_whole"] == 0.0
    assert described["length"] > right["length"]
    assert list(right) == list(FEATURES)


def test_a_figure_its_own_clause_calls_something_else(answerer):
    speed = _candidate(answerer, "设计时速60公里", "60公里")
    assert _features(answerer, "大连湾海底隧道全长多少公里？", speed)["labelled_otherwise"] == 1.0
    assert _features(answerer, "大连湾海底隧道的设计时速是多少？", speed)["labelled_otherwise"] == 0.0


def test_a_count_in_a_sentence_about_another_matter(answerer):
    residents = _candidate(answerer, "受益居民达到15万户", "15万户")
    assert _features(answerer, "今年大连为多少户居民安装电梯？", residents)["counts_other_matter"] == 1.0


def test_a_sentence_about_another_year(answerer):
    workers = _candidate(answerer, "700余名", "700余名")
    assert _features(answerer, "今年大连将为多少名灵活就业人员建制参保？", workers)["other_year"] == 1.0
    assert _features(answerer, "2022年大连为多少名灵活就业人员建制参保？", workers)["other_year"] == 0.0


def test_a_paragraph_without_the_questions_name(answerer):
    engineer = _candidate(answerer, "副总工程师孙磊", "孙磊")
    assert _features(answerer, "沈阳湾海底隧道有限公司副总工程师是谁？", engineer)["missing_name"] == 1.0
    assert _features(answerer, "大连湾海底隧道有限公司副总工程师是谁？", engineer)["missing_name"] == 0.0
    english = _features(answerer, "Who is the deputy chief engineer of Bohai Avenue?", engineer)
    assert english["missing_name"] == 1.0 and english["english"] == 1.0


def test_an_introduction_and_a_name_made_whole(answerer):
    context = answerer.context("孙磊是谁？")
    introduction = next(c for c in context.candidates if c.introduction)
    assert describe(context, introduction)["from_introduction"] == 1.0
    assert introduction.text == "大连湾海底隧道有限公司副总工程师"
    short = _candidate(answerer, "大连三友电器设备有限公司", "三友电器设备有限公司", rules=RuleProposal(0.6, 0, {}))
    whole = _candidate(answerer, "大连三友电器设备有限公司", "大连三友电器设备有限公司",
                       reader=ReaderProposal(0, 8.0, 0.9, cut=False))
    base = answerer.context("哪家公司的物流成本降低了？")
    context = Context(base.question, base.terms, base.hits, base.reading, [short, whole], answerer.corpus,
                      answerer.extractor, answerer.support, [])
    assert base.question.kind == "org"
    assert describe(context, whole)["completes_rules_name"] == 1.0
    assert describe(context, short)["completes_rules_name"] == 0.0
    assert describe(context, whole)["sources_agree"] == describe(context, short)["sources_agree"] == 1.0
    assert describe(context, short)["reader_overlap_margin"] == pytest.approx(0.8)


def test_the_form_of_a_span(answerer):
    quoted = _candidate(answerer, "“法治超市”", "“法治超市”")
    features = _features(answerer, "大连建立了什么超市？", quoted)
    assert features["quoted"] == 1.0 and features["question_overlap"] == pytest.approx(2 / 6)
    assert features["asks_phrase"] == 1.0 and sum(features[f"asks_{kind}"] for kind in KINDS) == 1.0
    assert features["reader_margin"] == NOT_READ and features["from_reader"] == 0.0
    assert features["proximity_to_terms"] > 0.5  # 超市 is inside it, 建立 right before


def test_words_around_the_question_word_and_terms_the_text_never_uses(answerer):
    embroidery = _candidate(answerer, "下足“绣花”功夫", "“绣花”")
    features = _features(answerer, "大连在城市管理精细化水平上下足了什么功夫？", embroidery)
    assert features["fills_slot"] == 1.0 and features["holds_question_term"] == 0.0
    assert _features(answerer, "大连在城市管理上下足了什么功夫？", _candidate(
        answerer, "下足“绣花”功夫", "城市管理精细化水平"))["holds_question_term"] == 1.0
    absent = _features(answerer, "大连的磁悬浮列车有多少辆？", embroidery)
    assert absent["absent_from_corpus"] > 0.5 and absent["missing_term"] > 0.5


def test_a_typed_core_of_a_reader_clause(answerer):
    context = answerer.context("2022年大连建成了多少处口袋公园？")
    cut = [c for c in context.candidates if c.reader is not None and c.reader.cut]
    assert all(describe(context, c)["reader_cut"] == 1.0 for c in cut)
    assert all(describe(context, c)["reader_cut"] == 0.0 for c in context.candidates if c not in cut)
