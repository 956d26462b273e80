"""The shipped verifier with the real models over the whole article question set: what its answers hold and how many
unanswerable tuning questions it declines."""

import pytest

from eval.datasets import ARTICLE_SET, load_article_set
from qa.pipeline import shipped_verifier
from qa.verify.features import FEATURES

pytestmark = pytest.mark.model

CAPTION_KINDS = ("caption", "credit")


@pytest.fixture(scope="module")
def article_answers(answerer):
    return [(item, answerer.answer(item.question)) for item in load_article_set(ARTICLE_SET).items]


def test_the_shipped_verifier_fits_the_features_and_records_its_provenance():
    verifier = shipped_verifier()
    assert verifier.features == FEATURES
    record = verifier.provenance
    assert record["questions"]["article"] > 500 and record["questions"]["cmrc"] > 1000
    assert record["operating_point"]["noans_floor"] == 90.0 and len(record["commit"]) == 40


def test_no_answer_holds_a_caption_or_a_credit_of_another_unit(answerer, article_answers):
    document = answerer.document
    captions = [unit for unit in document.units if unit.kind in CAPTION_KINDS]
    answered = [(item, result) for item, result in article_answers if result.found]
    assert len(answered) > 300
    for item, result in answered:
        assert "".join(document.source[s:e] for s, e in result.pieces) == result.text, item.id
        sentence = result.evidence[0]
        assert all(any(a <= s and e <= b for a, b in sentence.pieces) for s, e in result.pieces), item.id
        for unit in captions:
            if (unit.start, unit.end) == (sentence.paragraph_start, sentence.paragraph_end):
                continue  # a question about a photo is answered from its caption
            assert not any(s < unit.end and unit.start < e for s, e in result.pieces), (item.id, result.text)


def test_unanswerable_tuning_questions_are_declined_at_the_stated_rate(answerer, article_answers):
    unanswerable = [result for item, result in article_answers if item.split == "tune" and not item.answerable]
    declined = sum(not result.found for result in unanswerable) / len(unanswerable)
    assert declined >= shipped_verifier().provenance["operating_point"]["noans_floor"] / 100


def test_every_answer_and_decline_says_why(article_answers):
    for item, result in article_answers[:50]:
        assert result.why and all(name in FEATURES for name, _ in result.why), item.id
        magnitudes = [abs(value) for _, value in result.why]
        assert magnitudes == sorted(magnitudes, reverse=True)
