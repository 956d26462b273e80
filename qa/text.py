"""Chinese text helpers shared by retrieval and answer extraction: script conversion, word tokens, stop words."""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from pathlib import Path

import jieba

jieba.setLogLevel(logging.WARNING)

# Function words and question words: they carry no topic, so BM25 and overlap features skip them.
STOP_WORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 还 又 把 被 对 从 向 于 以 为 等 中 上 下 里 其 之 这 那 个 些 有 没有 "
    "吗 呢 吧 啊 呀 么 哪 哪些 哪个 哪里 哪儿 谁 什么 怎么 怎样 如何 为什么 为何 多少 几 几个 多 多久 多长 "
    "何时 时候 什么样 是否 请问 请 我 你 他 她 它 我们 你们 他们 她们 它们 文章 报道 提到 说 一下 呢 吗 "
    "the a an of in on at to for by with from is are was were be been did do does what which who whom whose "
    "when where why how many much and or it its this that these those there as into about".split()
)

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-z]+")


VARIANTS_FILE = Path(__file__).resolve().parent / "data" / "question_variants.json"


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=1)
def _variants() -> tuple[re.Pattern, dict[str, str]]:
    table = json.loads(VARIANTS_FILE.read_text(encoding="utf-8"))["variants"]
    return re.compile("|".join(map(re.escape, sorted(table, key=len, reverse=True)))), table


def to_simplified(text: str) -> str:
    """Traditional -> Simplified characters (the article is Simplified), and the question words that Taiwan and Hong
    Kong write otherwise (甚麼, 幾時...) in their mainland form; other text passes through.

    >>> to_simplified("渤海大道甚麼時候全線通車？")
    '渤海大道什么时候全线通车？'
    """
    pattern, table = _variants()
    return pattern.sub(lambda match: table[match.group()], _t2s().convert(text))


def tagged_words(text: str) -> list[tuple[str, str]]:
    """jieba's words of `text`, each with its part of speech (n, v, p, ns…)."""
    import jieba.posseg  # on first use, so that `qa.word_tables.load_word_tags` can give it its table first

    return [(pair.word, pair.flag) for pair in jieba.posseg.cut(text)]


def is_cjk(char: str) -> bool:
    return bool(_CJK_RE.match(char))


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among the letters of `text` (0 for a purely English question)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if is_cjk(c)) / len(letters)


def is_english(text: str) -> bool:
    """True for a question written mainly in Latin letters."""
    return bool(_LATIN_WORD_RE.search(text)) and cjk_ratio(text) < 0.2


def is_punctuation(token: str) -> bool:
    return all(unicodedata.category(c)[0] in "PSZ" or c.isspace() for c in token)


def word_tokens(text: str) -> list[str]:
    """Content words for keyword matching: jieba search-mode words, lower-cased, without stop words or punctuation.

    >>> word_tokens("渤海大道什么时候全线通车？")
    ['渤海', '大道', '全线', '通车', '全线通车']
    """
    return [
        t.lower()
        for t in jieba.lcut_for_search(text)
        if t.strip() and not is_punctuation(t) and t.lower() not in STOP_WORDS
    ]
