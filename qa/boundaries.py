"""Whose boundaries an answer is shown with, when the reader's span and the rules' differ in extent.

- `completes_name`: the reader's span is the rules' name made whole (熊谷元直 for 熊谷元, which jieba cut short), not
  the name with a title or honorific (工程师孙磊, 阮爱馨女士);
- `completes_place`: the reader's span is the rules' place given in full (重庆武隆县江口镇的芙蓉江畔 for 重庆武隆县), not
  with what the question already says added (大连市沙河口区 for "星海街位于大连哪个区"), nor with the units of the address
  above the one asked for (大连市中山区港湾隽景小区 for 哪个小区);
- `completes_body`: the reader's span is the rules' organisation with the start jieba cut off (大连三友电器设备有限公司
  for 三友电器设备有限公司: jieba tags 大连 an adverb), not with a word after it (DC漫画公司的);
- `typed_core`: for a number, date or duration question, the one span of the asked form inside a clause the reader
  marks (702个 in 702个村全部完成“大党委”组建); for a place question, the place after the words that say someone
  lives there (老虎滩附近 in 家住在老虎滩附近).
- `phrase_cores`: a phrase without the 等 that closes its list (办证难、用气难、出行难等 -> 办证难、用气难、出行难) or
  the preposition that opens it (通过开门说事… -> 开门说事…), which the article's answers mostly leave out and CMRC's
  annotators often keep (docs/verifier.md).
`completes` picks the one for the question's kind; the verifier reads it as a feature (`completes_rules_name`), and
`typed_core` and `phrase_cores` propose the cores of a reader span as candidates of their own (`qa.verify.candidates`).
"""

from __future__ import annotations

import re

from qa.labels import ROLES
from qa.question import ORG, PERSON, PLACE, TYPED_KINDS, Question
from qa.rules import ADDRESS_UNITS, address_units, candidates
from qa.text import tagged_words

# Words around a name that are not part of it: honorifics and callings ("阮爱馨女士", "建筑师博罗米尼").
HONORIFICS = "女士 先生 小姐 夫人 博士 教授 老师 同志 作家 建筑师 画家 演员 歌手 导演 总统 总理 国王 皇帝 将军 球员 选手".split()


# Where someone lives: "家住在老虎滩附近" answers 住在哪里 with 老虎滩附近. Other verbs that locate stay: CMRC's annotators
# keep 位于 (位于山西省大同市…; without it 5 of 1,500 CMRC train answers lost their exact match).
_LIVES_IN_RE = re.compile(r"(?:家|居)?住[在于]")


_ETC = ("等", "等等")  # the words that close a list, as jieba cuts them (not 平等, 二等奖)
_ETC_TAIL_CHARS = 4  # the most characters of one word after the 等 (等优势, 等具体内容)


def _list_end(words: list[str]) -> int | None:
    """Where the 等 that closes the list cut into `words` (of one item or more) starts, with at most one short word
    after it; None when they are no list closed by 等."""
    position = sum(len(word) for word in words)
    for index in range(len(words) - 1, -1, -1):
        position -= len(words[index])
        if words[index] in _ETC:
            after = "".join(words[index + 1 :])
            closes = len(words) - index <= 2 and len(after) <= _ETC_TAIL_CHARS and all(char.isalnum() for char in after)
            return position if closes and position > 0 else None
    return None


def phrase_cores(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The cuts of `text[start:end]` that the article's answers make and CMRC's annotators often do not: without the
    等 that closes its list (and one short word after it), without the preposition that opens it (jieba's tag p: 通过,
    从, 对, 在…), and without both.

    >>> def cores(span): return [span[slice(*core)] for core in phrase_cores(span, 0, len(span))]
    >>> cores("从照明、无障碍设计到绿植品种选择等")
    ['从照明、无障碍设计到绿植品种选择', '照明、无障碍设计到绿植品种选择等', '照明、无障碍设计到绿植品种选择']
    >>> cores("办证难、用气难、出行难等"), cores("嘴巧会说、群众基础好等优势"), cores("通过开门说事、评理调事")
    (['办证难、用气难、出行难'], ['嘴巧会说、群众基础好'], ['开门说事、评理调事'])
    >>> cores("一等奖、二等奖"), cores("平等相待"), cores("等优势"), cores("海底隧道等多项工程的建设")
    ([], [], [], [])
    """
    words = tagged_words(text[start:end])
    list_end = _list_end([word for word, _ in words])
    opening = len(words[0][0]) if len(words) > 1 and words[0][1] == "p" else 0
    cores = []
    if list_end is not None:
        cores.append((start, start + list_end))
    if opening:
        cores.append((start + opening, end))
        if list_end is not None and opening < list_end:
            cores.append((start + opening, start + list_end))
    return cores


def completes_name(name: str, span: str) -> bool:
    """Whether `span` is `name` made whole, with no role, title or honorific added around it.

    >>> completes_name("熊谷元", "熊谷元直"), completes_name("孙磊", "工程师孙磊"), completes_name("阮爱馨", "阮爱馨女士")
    (True, False, False)
    """
    if name not in span or name == span:
        return False
    added = span.replace(name, "|", 1)
    return not any(word in added for word in (*ROLES, *HONORIFICS))


def completes_place(question: Question, place: str, span: str) -> bool:
    """Whether `span` is `place` given in full (重庆武隆县江口镇的芙蓉江畔 for 重庆武隆县), not opening or closing on
    something the question already says (大连市沙河口区 for "星海街位于大连哪个区", 南京市浦口区…酒店举行 for "在哪里举行").

    >>> from qa.question import analyse_question
    >>> q = analyse_question("芙蓉洞位于什么地方？", 300)
    >>> completes_place(q, "重庆武隆县", "重庆武隆县江口镇的芙蓉江畔"), completes_place(q, "重庆武隆县", "武隆县")
    (True, False)
    >>> completes_place(analyse_question("张岩家住哪个小区？", 300), "港湾隽景小区", "大连市中山区港湾隽景小区")
    False
    """
    if place not in span or place == span:
        return False
    before, after = span.split(place, 1)
    if question.head in ADDRESS_UNITS and address_units(before):
        return False  # the units above the one asked for: 大连市中山区 before 港湾隽景小区 for 哪个小区
    said = [word for word in question.words if len(word) > 1 and word != question.head]
    return not any(before.startswith(word) or after.endswith(word) for word in said)


def completes_body(question: Question, body: str, span: str) -> bool:
    """Whether `span` is the organisation `body` with its start restored, as `completes_place` reads a place.

    >>> from qa.question import analyse_question
    >>> q = analyse_question("黄伟东是哪家公司的总经理？", 300)
    >>> completes_body(q, "三友电器设备有限公司", "大连三友电器设备有限公司"), completes_body(q, "DC漫画公司", "DC漫画公司的")
    (True, False)
    """
    return span.endswith(body) and completes_place(question, body, span)


def completes(question: Question, ours: str, theirs: str) -> bool:
    """Whether the reader's span `theirs` is the rules' `ours` made whole, as the question's kind reads it: a person's
    name (`completes_name`), a place (`completes_place`) or an organisation (`completes_body`); False for other kinds.

    >>> from qa.question import analyse_question
    >>> completes(analyse_question("谁说的？", 300), "熊谷元", "熊谷元直"), completes(analyse_question("有多少？", 300), "3", "3个")
    (True, False)
    """
    if question.kind == PERSON:
        return completes_name(ours, theirs)
    if question.kind == PLACE:
        return completes_place(question, ours, theirs)
    return question.kind == ORG and completes_body(question, ours, theirs)


def typed_core(question: Question, text: str, start: int, end: int) -> tuple[int, int]:
    """For a number, date or duration question, the one span of the asked form inside `text[start:end]` (the reader
    sometimes marks the clause around it: "702个村全部完成“大党委”组建" -> "702个", which the answer checks then read
    as a count of 村); the span itself when it holds none or several. For a place question, the span without the
    words at its start that say someone lives there ("家住在老虎滩附近" -> "老虎滩附近").

    >>> from qa.question import analyse_question
    >>> text = "具备条件的702个村全部完成“大党委”组建。"
    >>> typed_core(analyse_question("有多少个村完成了组建？", 300), text, 5, 21)
    (5, 9)
    >>> typed_core(analyse_question("孙晋家住在哪里？", 300), "家住在老虎滩附近，", 0, 8)
    (3, 8)
    """
    if question.kind == PLACE:
        lives_in = _LIVES_IN_RE.match(text, start, end)
        return (lives_in.end(), end) if lives_in is not None and lives_in.end() < end else (start, end)
    if question.kind not in TYPED_KINDS:
        return start, end
    inside = candidates(question, text[start:end])
    if len(inside) != 1:
        return start, end
    return start + inside[0].start, start + inside[0].end
