"""Fuzzed questions and texts: no unexpected exception, and every answer an exact slice of its text.

10,000 questions through the pipeline over the article (fake embedder, span rules, the shipped verifier: the logic
every question goes through), a few hundred through the real models, and 100 texts of up to 5 MB with and without
punctuation (fake embedder: the real one embeds about 150 sentences a second here). The generator is seeded, so a
failure names a reproducible case.
"""

from __future__ import annotations

import random

import pytest

from qa.article import read_article
from qa.errors import EmptyQuestionError
from qa.pipeline import Answerer
from qa.settings import Settings

pytestmark = pytest.mark.fuzz

ARTICLE = read_article()
QUESTIONS = 10_000
WORDS = ("口袋公园", "渤海大道", "多少", "什么时候", "谁", "哪里", "大连", "隧道", "公积金", "How many", "when", "？", "?",
         "2022年", "112处", "的", "是", "了", "甚麼", "幾時")
ODD = (
    "\x00", "\x1b[31m", "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\ud800", "\U0001f600", "\U00020000",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "${7*7}", "{{7*7}}", "' OR 1=1 --", "\r\n", "\t",
    "\u3000", "ＡＢＣ１２３", "ﾊﾝｶｸ", "𝕏", "\u0301", "٠١٢", "שלום", "مرحبا", "…", "——", "“", "”", "（", "）",
)


def fuzzed_question(rng: random.Random) -> str:
    """A question made of article words, odd characters, article slices and, now and then, a very long run."""
    parts = []
    for _ in range(rng.randint(0, 12)):
        roll = rng.random()
        if roll < 0.4:
            parts.append(rng.choice(WORDS))
        elif roll < 0.7:
            parts.append(rng.choice(ODD))
        elif roll < 0.9:
            start = rng.randrange(len(ARTICLE))
            parts.append(ARTICLE[start : start + rng.randint(1, 40)])
        else:
            parts.append(chr(rng.randint(0, 0x10FFFF)))
    if rng.random() < 0.02:
        parts.append(rng.choice(WORDS + ODD) * rng.randint(1_000, 100_000))
    return "".join(parts)


def check(answerer: Answerer, question: str) -> None:
    """The answer (or decline) of `question` holds together: offsets, pieces and evidence all slice the source."""
    try:
        result = answerer.answer(question)
    except EmptyQuestionError:
        return
    source = {document.doc_id: document.source for document in answerer.corpus.documents}
    assert 0.0 <= result.score <= 1.0
    if result.found:
        text = source[result.doc_id]
        assert result.text and "".join(text[s:e] for s, e in result.pieces) == result.text
        assert result.start <= result.pieces[0][0] and result.pieces[-1][1] <= result.end
    else:
        assert result.text == "" and result.start is None
    for evidence in result.evidence:
        text = source[evidence.doc_id]
        assert "".join(text[s:e] for s, e in evidence.pieces) == evidence.text
        assert "".join(text[s:e] for s, e in evidence.paragraph_pieces) == evidence.paragraph_text


def test_fuzzed_questions_over_the_article(fake_embedder):
    answerer = Answerer.from_texts({"article": ARTICLE}, Settings(use_reader=False), embedder=fake_embedder)
    rng = random.Random(20261206)
    for case in range(QUESTIONS):
        question = fuzzed_question(rng)
        try:
            check(answerer, question)
        except Exception as error:  # name the case: the seed and the number reproduce it
            raise AssertionError(f"fuzz case {case} ({question[:80]!r}): {error!r}") from error


def fuzzed_text(rng: random.Random, size: int, punctuated: bool) -> str:
    """About `size` characters of article slices and odd characters, with or without sentence punctuation."""
    parts, length = [], 0
    while length < size:
        start = rng.randrange(len(ARTICLE))
        part = ARTICLE[start : start + rng.randint(20, 400)] + rng.choice(ODD)
        if not punctuated:
            part = "".join(char for char in part if char not in "。！？；!?;\n")
        parts.append(part)
        length += len(part)
    return "".join(parts)[:size]


TEXTS = 100
LARGEST_TEXT = 5_000_000


@pytest.mark.parametrize("case", range(TEXTS))
def test_fuzzed_texts_build_and_answer(fake_embedder, case):
    """Texts of 10 characters to 5 MB (sizes spaced evenly on a log scale), every other one without punctuation."""
    size = round(10 * (LARGEST_TEXT / 10) ** (case / (TEXTS - 1)))
    rng = random.Random(case)
    text = fuzzed_text(rng, size, punctuated=case % 2 == 0)
    if not text.strip():
        return
    answerer = Answerer.from_texts({"fuzz": text}, Settings(use_reader=False), embedder=fake_embedder)
    for _ in range(20):
        check(answerer, fuzzed_question(rng))
    check(answerer, "大连建成了多少处口袋公园？")


@pytest.mark.model
def test_fuzzed_questions_through_the_real_models(answerer):
    rng = random.Random(7)
    for case in range(300):
        question = fuzzed_question(rng)
        try:
            check(answerer, question)
        except Exception as error:
            raise AssertionError(f"fuzz case {case} ({question[:80]!r}): {error!r}") from error
