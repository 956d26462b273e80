"""Follow-up questions: rewrite "它什么时候通车？" into a question that stands on its own, from the questions before it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.text import tagged_words

# Chinese pronouns that stand for something named earlier ("其" only as a whole word: not 其中, 其他, 尤其).
PRONOUNS_ZH = frozenset({"它", "它们", "他", "她", "他们", "她们", "其"})
# 这/那/该/此 with an optional 一 and measure word, as jieba cuts them: 这, 这个, 这条, 这些, 该, 此, 这项.
_DEMONSTRATIVE_RE = re.compile(r"^(?:这|那|该|此)一?(?:[个条座项家所处位名种些批片段次场件支栋])?$")
_MEASURE_CHARS = frozenset("个条座项家所处位名种批片段次场件支栋")
# Nouns that point at the text itself ("这篇文章"), not at something named in it.
DISCOURSE_NOUNS = ("文章", "报道", "新闻", "本文", "记者", "问题")
# Nouns that name no topic: a question made only of these has no entity of its own.
GENERIC_NOUNS = frozenset(
    "时候 时间 多长 多久 地方 情况 问题 原因 内容 答案 东西 人 事 事情 方面 意义 作用 结果 目的 名字 名称 "
    "数量 数字 规模 效果 变化 影响 特点 部分 日期 年份".split()
)
# A question asks something: without one of these, "谢谢" or "好的" is left alone.
_INTERROGATIVE_RE = re.compile(
    r"[?？]|什么|多少|几|谁|哪|吗|呢|怎么|怎样|如何|为什么|为何|是否|是不是|有没有|多长|多久|多大|多高|多深|何时"
)
_EN_INTERROGATIVE_RE = re.compile(r"\b(?:what|when|where|who|whom|whose|which|why|how)\b", re.IGNORECASE)
_ELLIPSIS_RE = re.compile(r"^\s*(?:那么|那|还有|而)?[，,\s]*(?P<topic>.+?)\s*呢\s*[?？]?\s*$")
# Quoted text is a name even when jieba splits it: “法治超市”, 《实施方案》.
_QUOTED_RE = re.compile(r"“([^”]{1,40})”|《([^》]{1,40})》|「([^」]{1,40})」|\"([^\"]{1,40})\"")

_NOUN_FLAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "nw", "ng", "j", "eng"})
_PROPER_FLAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "eng"})

# English references, matched in one pass so that a name put in is never rewritten again: this/that used
# as a determiner after a verb, preposition or wh-word, possessives, pronouns.
_EN_REFERENCE_RE = re.compile(
    r"(?P<lead>^|\b(?:did|does|do|is|was|are|were|will|can|has|have|had|about|of|in|on|for|to|from|with|by|when|"
    r"where|how|what|who|which)\s+)(?:this|that|these|those)\b"
    r"|\b(?P<possessive>its|their|his|her)\b"
    r"|\b(?:it|they|them|he|she|him)\b",
    re.IGNORECASE,
)
_EN_FUNCTION_WORDS = frozenset(
    "a an the is are was were be been did do does will would can could has have had of in on at for to from with "
    "by about when where how what who which why that this these those it its they their and or not".split()
)
_EN_HOW_MANY_RE = re.compile(
    r"\b(?:how many|how much|number of)\s+(?P<thing>[a-z][a-z -]*?)\s+"
    r"(?:did|does|do|is|are|was|were|will|has|have|had|can|in|on|at|for|of)\b",
    re.IGNORECASE,
)
_EN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’.-]*|\d+")
_LATIN_RE = re.compile(r"[A-Za-z]")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass(frozen=True)
class _Phrase:
    """A noun phrase of a question: its text, whether a proper noun is in it, and how many words it joins."""

    text: str
    proper: bool
    tokens: int


def rewrite_followup(question: str, history: Sequence[str]) -> str:
    """The question made to stand on its own, or `question` unchanged when it already does.

    `history` holds the earlier questions of the conversation as they were understood (that is,
    after this rewriting), most recent last. The antecedent is the main noun phrase of the most
    recent earlier question that has one. A pronoun or demonstrative (它, 其, 该, 这条路, it, its,
    that road) is replaced by it; "X呢？" borrows the rest of the earlier question; a question that
    asks something but names no topic of its own gets the antecedent in front.

    >>> rewrite_followup("它什么时候通车？", ["渤海大道是什么样的道路？"])
    '渤海大道什么时候通车？'
    >>> rewrite_followup("大连湾海底隧道呢？", ["渤海大道什么时候全线通车？"])
    '大连湾海底隧道什么时候全线通车？'
    >>> rewrite_followup("今年新增多少停车位？", ["渤海大道是什么样的道路？"])
    '今年新增多少停车位？'
    """
    if not question.strip():
        return question
    antecedent = _antecedent(history)
    if antecedent is None:
        return question
    earlier, entity = antecedent

    ellipsis = _ELLIPSIS_RE.match(question)
    if ellipsis and _is_name(ellipsis["topic"]) and entity in earlier:
        return earlier.replace(entity, ellipsis["topic"].strip(), 1)

    resolved = _resolve_english(question, entity) if _is_english(question) else _resolve_chinese(question, entity)
    if resolved != question:
        return resolved
    if not _is_english(question) and _INTERROGATIVE_RE.search(question) and not _has_own_topic(question):
        return entity + question.lstrip()
    return question


def main_entity(question: str) -> str | None:
    """The noun phrase a question is about: a quoted name, else its first name-like noun phrase; None if it has none.

    >>> main_entity("渤海大道是什么样的道路？")
    '渤海大道'
    >>> main_entity("2022年大连建成了多少处口袋公园？")
    '口袋公园'
    >>> main_entity("What is Bohai Avenue?")
    'Bohai Avenue'
    >>> main_entity("有多少人参与？") is None
    True
    """
    quoted = _QUOTED_RE.search(question)
    if quoted:
        return next(group for group in quoted.groups() if group)
    if _is_english(question):
        return _english_entity(question)
    phrases = _noun_phrases(question)
    # A Chinese question puts its topic first ("渤海大道什么时候全线通车"); a name or compound outranks a bare noun.
    named = [p for p in phrases if _names_something(p)]
    if named:
        return named[0].text
    return phrases[0].text if phrases else None


def _antecedent(history: Sequence[str]) -> tuple[str, str] | None:
    for earlier in reversed(history):
        if not _asks(earlier):  # "谢谢" names nothing to refer back to
            continue
        entity = main_entity(earlier)
        if entity is not None:
            return earlier, entity
    return None


def _asks(text: str) -> bool:
    return bool(_INTERROGATIVE_RE.search(text) or _EN_INTERROGATIVE_RE.search(text))


def _is_english(text: str) -> bool:
    return bool(_LATIN_RE.search(text)) and not _CJK_RE.search(text)


def _is_name(text: str) -> bool:
    """True when `text` is nothing but a name: "大连湾海底隧道", "“法治超市”" (not "渤海大道什么时候通车")."""
    text = text.strip()
    if _QUOTED_RE.fullmatch(text):
        return True
    phrases = _noun_phrases(text)
    return len(phrases) == 1 and phrases[0].text == text and _names_something(phrases[0])


def _has_own_topic(question: str) -> bool:
    """True when the question names something: a quoted or proper name, a compound noun, or a noun of 3+ characters.

    Two-character nouns alone do not count: jieba tags predicates such as 通车 or 时速 as nouns.
    """
    if _QUOTED_RE.search(question):
        return True
    if _is_english(question):
        return _english_entity(question) is not None
    return any(_names_something(p) for p in _noun_phrases(question))


def _names_something(phrase: _Phrase) -> bool:
    return phrase.proper or phrase.tokens >= 2 or len(phrase.text) >= 3


def _noun_phrases(question: str) -> list[_Phrase]:
    """Maximal runs of nouns, with the words jieba mistags inside names, joined across 的 ("大连市的市长")."""
    tokens = tagged_words(question)
    nounish = [False] * len(tokens)
    for i, (word, flag) in enumerate(tokens):
        before = tokens[i - 1] if i > 0 else ("", "")
        if word in GENERIC_NOUNS or (len(word) == 1 and before[1] == "m"):  # "多少处" is a measure word
            continue
        nounish[i] = flag in _NOUN_FLAGS
    # Second pass: words that only belong to a phrase when a noun follows them.
    for i in range(len(tokens) - 2, -1, -1):
        word, flag = tokens[i]
        if not nounish[i + 1]:
            continue
        if flag == "b" or (flag == "a" and len(word) == 1):  # 副总工程师, 老旧小区
            nounish[i] = True
        elif flag == "d" and len(word) >= 2:  # jieba's dictionary tags 大连 as an adverb
            nounish[i] = True
        elif flag == "m" and word.isdigit() and i > 0 and nounish[i - 1]:  # 地铁5号线
            nounish[i] = True

    phrases: list[_Phrase] = []
    i = 0
    while i < len(tokens):
        if not nounish[i]:
            i += 1
            continue
        j = i
        while j < len(tokens) and (nounish[j] or _joins(tokens, nounish, j)):
            j += 1
        words = tokens[i:j]
        text = "".join(w for w, _ in words)
        proper = any(f in _PROPER_FLAGS for _, f in words)
        phrases.append(_Phrase(text=text, proper=proper, tokens=sum(1 for w, _ in words if w != "的")))
        i = j
    return phrases


def _joins(tokens: list[tuple[str, str]], nounish: list[bool], j: int) -> bool:
    """True for a 的 between two nouns, which makes one phrase of them."""
    return tokens[j][0] == "的" and j > 0 and nounish[j - 1] and j + 1 < len(tokens) and nounish[j + 1]


def _resolve_chinese(question: str, entity: str) -> str:
    tokens = tagged_words(question)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word, flag = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if word in PRONOUNS_ZH:
            # 其 is possessive ("其设计时速"): keep the 的 it stands for.
            out.append(entity + "的" if word == "其" and nxt[1] in _NOUN_FLAGS | {"vn"} else entity)
            i += 1
            continue
        if _DEMONSTRATIVE_RE.match(word) and not (word == "那" and i == 0):  # a leading bare 那 means "then"
            end = _demonstrative_end(tokens, i)
            if end is not None:
                out.append(_narrowed(entity, tokens[end - 1]))
                i = end
                continue
        out.append(word)
        i += 1
    return "".join(out)


def _narrowed(entity: str, head: tuple[str, str]) -> str:
    """The part of the antecedent that a demonstrative's head noun names: 该公司 in "大连三友电器设备有限公司总经理" is the company."""
    word, flag = head
    if flag in _NOUN_FLAGS and len(word) >= 2 and word in entity:
        return entity[: entity.rfind(word) + len(word)]
    return entity


def _demonstrative_end(tokens: list[tuple[str, str]], i: int) -> int | None:
    """Where a demonstrative phrase starting at `i` ends (这 · 座 · 隧道), or None when it points elsewhere."""
    j = i + 1
    has_measure = tokens[i][0][-1] in _MEASURE_CHARS or tokens[i][0].endswith("些")
    if j < len(tokens) and tokens[j][0] == "一":
        j += 1
    if not has_measure and j < len(tokens) and (tokens[j][1] == "q" or tokens[j][0] in _MEASURE_CHARS):
        j += 1
    if j < len(tokens):
        word, flag = tokens[j]
        if any(noun in word for noun in DISCOURSE_NOUNS) or word in PRONOUNS_ZH:
            return None
        if flag in _PROPER_FLAGS:  # 那渤海大道呢: a new topic, not a reference back
            return None
        if flag in _NOUN_FLAGS:  # the head noun goes with it: 这条路 -> 渤海大道
            j += 1
    return j


def _resolve_english(question: str, entity: str) -> str:
    def replace(match: re.Match) -> str:
        if match["lead"] is not None:
            # The word after this/that stays: without a tagger "that road" cannot be told from "that built".
            return match["lead"] + entity
        if match["possessive"] is not None:
            return entity + "'s"
        return entity

    return _EN_REFERENCE_RE.sub(replace, question)


def _english_entity(question: str) -> str | None:
    how_many = _EN_HOW_MANY_RE.search(question)
    words = _EN_WORD_RE.findall(question)
    runs: list[list[str]] = []
    run: list[str] = []
    for index, word in enumerate(words):
        capitalised = word[0].isupper() and not (index == 0 and word.lower() in _EN_FUNCTION_WORDS)
        if capitalised:
            run.append(word)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    longest = max(runs, key=len, default=[])
    if len(longest) >= 2 or (longest and how_many is None):
        return " ".join(longest)
    if how_many is not None:
        return how_many["thing"].strip()
    return None
