"""Whether the words just before an answer span call it something other than what the question asks for.

The reader and the rules find a span of the right type near the question's words, and can be sure of it while the
passage says it is something else: "大连湾海底隧道全长多少公里？" over "…设计时速60公里" (a speed, not a length), or
"大魏家街道的主任是谁？" over "大魏家街道副主任王霞" (the deputy). Such a span does not answer the question; the
pipeline lowers its score (`LABEL_PENALTY`) so that it is shown only if it was near certain (it never was on the
tuning data). Two labels are read, both from the span's own clause:

- measures: a number labelled with a measure word (时速, 面积, 投资…) of another kind than the question's;
- deputies: a person whose title is 副 + the title the question asks for.
"""

from __future__ import annotations

import re

from qa.question import NUMBER, PERSON, Question

# The score of a mislabelled span is multiplied by this: below the answer threshold unless it was above 0.5 / 0.25.
LABEL_PENALTY = 0.25

# Measure words by what they measure; the words of one kind name the same measure ("全长" / "长度").
MEASURES = {
    "length": ("全长", "总长", "长度", "里程"),
    "area": ("占地面积", "建筑面积", "总面积", "面积"),
    "speed": ("时速", "速度", "车速"),
    "depth": ("深度", "水深"),
    "height": ("高度", "海拔"),
    "width": ("宽度",),
    "weight": ("重量",),
    "money": ("总投资", "投资", "资金", "总额", "余额", "金额", "收入", "产值", "罚款", "费用"),
    "population": ("人口",),
    "temperature": ("气温", "温度"),
}
_MEASURE_OF = {word: kind for kind, words in MEASURES.items() for word in words}
_MEASURE_RE = re.compile("|".join(sorted(_MEASURE_OF, key=len, reverse=True)))
_CLAUSE_END_RE = re.compile(r"[，,、；;。！？!?：:（(]")
_DEPUTY_RE = re.compile(r"副([\u4e00-\u9fff]{2,6})$")


def mislabelled(question: Question, text: str, start: int) -> bool:
    """Whether the clause of `text` before `start` labels the span at `start` as other than what `question` asks.

    >>> from qa.question import analyse_question
    >>> sentence = "大连湾海底隧道平均深度水下23米、设计时速60公里。"
    >>> mislabelled(analyse_question("大连湾海底隧道全长多少公里？", 300), sentence, sentence.index("60"))
    True
    >>> mislabelled(analyse_question("大连湾海底隧道的设计时速是多少？", 300), sentence, sentence.index("60"))
    False
    """
    before = _clause_before(text, start)
    if question.kind == NUMBER:
        return _other_measure(question.simplified, before)
    if question.kind == PERSON:
        return _deputy_of_asked(question.simplified, before)
    return False


def _clause_before(text: str, start: int) -> str:
    """The text from the last clause break before `start` up to it."""
    head = text[:start]
    breaks = list(_CLAUSE_END_RE.finditer(head))
    return head[breaks[-1].end() :] if breaks else head


def _other_measure(question: str, before: str) -> bool:
    """The question names a measure, the clause labels the number with measures, and none is of the question's kind.

    >>> _other_measure("改造面积是多少？", "共完成老旧小区改造")  # no label: a bare number may be the asked measure
    False
    """
    asked = {_MEASURE_OF[word] for word in _MEASURE_RE.findall(question)}
    labels = {_MEASURE_OF[word] for word in _MEASURE_RE.findall(before)}
    return bool(asked) and bool(labels) and not asked & labels


def _deputy_of_asked(question: str, before: str) -> bool:
    """The name follows 副 + a title that the question asks for without 副.

    >>> _deputy_of_asked("大魏家街道的主任是谁？", "大魏家街道副主任")
    True
    >>> _deputy_of_asked("大连湾海底隧道有限公司副总工程师是谁？", "大连湾海底隧道有限公司副总工程师")
    False
    """
    match = _DEPUTY_RE.search(before)
    if match is None:
        return False
    title = match.group(1)
    # The longest ending of the text after 副 that the question names: "街道副主任" -> "主任".
    asked = next((title[i:] for i in range(len(title) - 1) if title[i:] in question), None)
    return asked is not None and "副" + asked not in question
