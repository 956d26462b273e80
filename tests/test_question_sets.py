"""The article's question sets point at the article's own text; the fresh round is held out and new, and the
development round asks nothing that another set asks."""

import opencc
import pytest

from eval.datasets import ARTICLE_SET, DEV_SET, FRESH_SET, load_article_set
from qa.article import read_article


@pytest.mark.parametrize("path", [ARTICLE_SET, FRESH_SET, DEV_SET], ids=["questions", "fresh", "dev"])
def test_every_evidence_is_the_article_text_at_its_offsets(path):
    article = read_article()
    for item in load_article_set(path).items:
        for span in item.evidence_spans:
            assert all(article[a.start : a.end] in item.answers for a in item.answer_spans), item.id
            assert span.start <= min(a.start for a in item.answer_spans), item.id


def test_the_fresh_round_is_held_out_and_asks_nothing_the_tuning_set_asks():
    fresh, tuning = load_article_set(FRESH_SET).items, load_article_set(ARTICLE_SET).items
    assert fresh and all(item.split == "report" for item in fresh)
    asked = {item.question for item in tuning}
    assert not {item.id for item in fresh} & {item.id for item in tuning}
    assert [item.id for item in fresh if item.question in asked] == []  # ids only: report questions are not printed
    assert sum(item.answerable for item in fresh) > sum(not item.answerable for item in fresh)


def test_the_development_round_is_new_and_asks_nothing_another_set_asks():
    development = load_article_set(DEV_SET).items
    assert development and all(item.split == "tune" for item in development)
    simplified = opencc.OpenCC("t2s").convert
    others = [*load_article_set(FRESH_SET).items, *load_article_set(ARTICLE_SET).items]
    asked = {simplified(item.question).rstrip("？?") for item in others}
    assert not {item.id for item in development} & {item.id for item in others}
    assert [item.id for item in development if simplified(item.question).rstrip("？?") in asked] == []  # ids only
    assert sum(item.answerable for item in development) > 2 * sum(not item.answerable for item in development)
