"""Choosing between the rules and the reader."""

import pytest

from qa.combine import READER_WEIGHT, Choice, choose


def test_agreement_keeps_the_rule_boundaries_and_raises_the_score():
    chosen = choose("place", Choice(0, 10, 14, 0.6, "rules"), Choice(0, 12, 20, 0.5, "reader"), False)
    assert (chosen.start, chosen.end, chosen.method) == (10, 14, "rules+reader")
    assert chosen.score == pytest.approx(1 - 0.4 * (1 - 0.5 * READER_WEIGHT))


def test_typed_questions_prefer_comparable_rules():
    rules, reader = Choice(0, 0, 4, 0.7, "rules"), Choice(0, 30, 34, 0.95, "reader")
    assert choose("number", rules, reader, False) is rules
    assert choose("phrase", rules, reader, False).method == "reader"


def test_missing_entity_discounts_the_reader():
    rules, reader = Choice(0, 0, 4, 0.6, "rules"), Choice(0, 30, 34, 0.9, "reader")
    assert choose("phrase", rules, reader, True) is rules


def test_one_side_only():
    only = Choice(1, 3, 5, 0.4, "rules")
    assert choose("person", only, None, False) is only
    assert choose("person", None, None, False) is None
    assert choose("person", None, Choice(1, 3, 5, 0.4, "reader"), False).method == "reader"


def test_agreement_on_a_what_question_takes_the_reader_boundaries():
    chosen = choose("phrase", Choice(0, 10, 30, 0.3, "rules"), Choice(0, 12, 20, 0.5, "reader"), False)
    assert (chosen.start, chosen.end, chosen.method) == (12, 20, "rules+reader")


def test_a_name_the_reader_completes_takes_its_boundaries():
    rules, reader = Choice(0, 10, 13, 0.7, "rules"), Choice(0, 10, 14, 0.6, "reader")  # 熊谷元 | 熊谷元直
    assert (choose("person", rules, reader, False, reader_completes=True).end) == 14
    assert (choose("person", rules, reader, False, reader_completes=False).end) == 13  # a title added: 孙磊


def test_a_place_the_reader_gives_in_full_takes_its_boundaries():
    rules, reader = Choice(0, 10, 15, 0.8, "rules"), Choice(0, 10, 23, 0.7, "reader")  # 重庆武隆县 | …芙蓉江畔
    assert (choose("place", rules, reader, False, reader_completes=True).end) == 23
    assert (choose("place", rules, reader, False, reader_completes=False).end) == 15


def test_an_agreement_shown_with_mislabelled_boundaries_keeps_the_cut():
    rules = Choice(0, 10, 13, 0.2, "rules", fits=False)  # "大连市" for 哪个小区: its score already cut
    reader = Choice(0, 10, 19, 0.9, "reader")  # "大连市港湾隽景小区"
    chosen = choose("place", rules, reader, False)
    assert (chosen.start, chosen.end) == (10, 13) and chosen.score < 0.5
