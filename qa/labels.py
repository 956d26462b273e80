"""Whether the words around an answer span call it something other than what the question asks for.

The reader and the rules find a span of the right type near the question's words, and can be sure of it while the
passage says it is something else: "大连湾海底隧道全长多少公里？" over "…设计时速60公里" (a speed, not a length), or
"大魏家街道的主任是谁？" over "大魏家街道副主任王霞" (the deputy), or "…公司的董事长是谁？" over "…公司总经理黄伟东".
Such a span likely does not answer the question; `mislabelled` is one feature of the answer verifier
(`qa.verify.features.labelled_otherwise`), which weighs it against the others. Fifteen labels are read:

- measures: a number that its own clause labels with a measure word (时速, 面积, 投资…) of another kind than the
  question's, named (全长) or asked (多长, how long);
- roles: a person that its own clause names with a title or role (总经理, 副主任, 记者…) other than the one asked for;
- counted nouns: a count of something else than the question counts ("多少户企业" over "11万户缴存职工", "多少个社区"
  over a sentence that names no 社区); read from the noun right after the count and from the span's whole sentence;
- durations: a number that counts the minutes or years of a duration ("5" of 车程仅需5分钟) for a number question;
- changes: a number its clause does not call a change for "比上年增长了多少" (the total, 12.25万人);
- items: one of the figures that "A、B和C分别为x、y、z" gives each to its item, when the question names another item
  ("累计提取总额" over 归集's 2864.16亿元);
- parts: a figure its clause gives for a part (首日有近3000名) for a question about the whole (一共, in total);
- per unit: a figure its clause does not give per unit (50亿元) for a question about one (每平方米的造价);
- shares: a figure that is no percentage or ratio (近120亿元) for a question about a rate or share (利率, 比重);
- subsets: a count of a noun that a modifier restricts (6家擅自停止供热…的供热企业) for how many there are in all;
- sums: a figure its clause does not call a total for a question that adds figures up (加起来一共多少);
- negations, for any question but a why or how question: a span whose sentence negates nothing for a question
  about what has not happened (哪些小区还没有完成改造);
- superlatives, for any kind of question: a span whose sentence ranks nothing (no 最, 首位, 第一…) for a question
  about the most of something (哪个区的口袋公园最多);
- events, for date questions: a date whose sentence shares no character with the event the question names after
  its "when" (渤海大道…实现全线通车 for 哪一年开始建设);
- time relations, for any kind of question: a question about the time before an event (通车前, 以前) over a span that
  its sentence last marks as after it (届时, 通车后, 以后), or the other way round; the marks of a quotation that ends
  before the span are the speaker's (乘客孙晋 after "…以后只需要十几分钟。”").
"""

from __future__ import annotations

import itertools
import re


from qa.question import (
    COUNTING_UNITS, DATE, MEASURE_QUESTION_WORDS, MONEY_NOUNS_EN, NOUN_FLAGS, NUMBER, PERSON, PHRASE, QUOTED_NAME_RE,
    WHEN_ASKED_ZH, Question, units_compatible,
)
from qa.rules import DURATION_RE, unit_of
from qa.text import is_cjk, tagged_words


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
    "share": ("比重", "占比", "比例"),
    "population": ("人口",),
    "temperature": ("气温", "温度"),
}
_MEASURE_OF = {word: kind for kind, words in MEASURES.items() for word in words}
# Measures a question asks for without a Chinese measure word: how it asks ("隧道有多长？", "How long is the tunnel?",
# qa.question.MEASURE_QUESTION_WORDS) or the English measure it names ("the length of", "the budget of").
_ASKED_MEASURES = {
    kind: re.compile("|".join(filter(None, (MEASURE_QUESTION_WORDS.get(kind), rf"\b{kind}\b"))))
    for kind in ("length", "depth", "height", "width", "speed", "area", "population")
} | {"money": re.compile(r"\b(?:" + "|".join(MONEY_NOUNS_EN) + r")\b")}
_MEASURE_RE = re.compile("|".join(sorted(_MEASURE_OF, key=len, reverse=True)))
# Qualifiers written just before a measure word: 最大深度 and 平均深度 are different figures.
_QUALIFIER_RE = re.compile(r"(?:最大|最小|最高|最低|最长|最短|最深|平均)$")
# Titles and roles that name a person in news text ("总经理黄伟东", "记者吕丽", "毕业生张凯"); 副 + a title is a title
# of its own (the deputy).
ROLES = sorted(
    "董事长 总经理 经理 总工程师 工程师 主任 书记 主席 校长 院长 局长 市长 区长 县长 镇长 村长 社长 队长 组长 楼长 "
    "部长 厅长 处长 科长 省长 厂长 站长 所长 馆长 行长 会长 理事长 秘书长 总监 总设计师 设计师 律师 法官 民警 主编 记者 "
    "毕业生 学生 居民 村民 市民 乘客 职工 教师 医生 负责人 主播 志愿者".split(),
    key=len,
    reverse=True,
)
# English titles as the Chinese text writes them; "deputy" / "vice" before one is 副.
_ROLES_EN = {
    "chairman": "董事长", "general manager": "总经理", "manager": "经理", "chief engineer": "总工程师", "engineer": "工程师",
    "director": "主任", "party secretary": "书记", "secretary": "书记", "mayor": "市长", "reporter": "记者",
    "journalist": "记者", "principal": "校长", "dean": "院长", "graduate": "毕业生", "resident": "居民",
    "passenger": "乘客", "volunteer": "志愿者",
}
_ROLE_EN_RE = re.compile(r"\b(deputy |vice )?(" + "|".join(sorted(_ROLES_EN, key=len, reverse=True)) + r")\b")
# Where a label stops: any clause break, 、 of an enumeration and an opening bracket included ("23米、设计时速60公里").
_CLAUSE_END_RE = re.compile(r"[，,、；;。！？!?：:（(]")
# A count (qa.question.COUNTING_UNITS) with its qualifiers: "改造717万平方米惠及居民" counts nothing.
_COUNTING_END_RE = re.compile(rf"[{''.join(COUNTING_UNITS)}](?:左右|以上|多|余)?$")
# Time relations: a question about the time before an event (通车前, 以前) is not answered by a span that its
# sentence places after it (届时, 通车后, 以后), nor the other way round. 目前, 提前, 当前, 日前 are no such relation.
_BEFORE_RE = re.compile(r"以前|之前|此前|从前|过去|原来|原先|(?<!目|提|当|眼|面|日|年|月|天)(?<=[\u4e00-\u9fff]{2})前(?=[，,、的]|$)")
_AFTER_RE = re.compile(r"以后|之后|此后|届时|(?<=[\u4e00-\u9fff]{2})后(?=[，,、的])")
# A quotation (a quote that holds a clause break): its time marks are the speaker's, not those of a span after it
# ("…以后只需要十几分钟。”乘客孙晋高兴地说" for 谁说以前坐公交要40分钟以上).
_QUOTATION_RE = re.compile(r"“[^“”]*[，,。！？!?；;][^“”]*”")
# Changes: a question about how much something grew or fell (比上年增长了多少, 提高了多少) is answered by a number its
# clause calls a change, not by the total ("全年城镇新增就业12.25万人"). CMRC train asks no such question.
_CHANGE_WORDS = "增长|增加|提高|提升|上升|下降|减少|降低"
_CHANGE_ASKED_RE = re.compile(rf"(?:{_CHANGE_WORDS})了?(?:多少|几)|比.{{1,8}}?(?:{_CHANGE_WORDS}|多|少)了?(?:多少|几)")
_CHANGE_RE = re.compile(rf"{_CHANGE_WORDS}|增幅|降幅|涨|多了|少了|翻")
# "A、B和C分别为x、y、z": each figure is its item's. Items and figures are separated so, within a clause (the
# enumeration's 、 does not end one here, as it does for a label: _CLAUSE_END_RE).
_RESPECTIVELY_RE = re.compile(r"分别(?:为|是|达到|达|有)?")
_ITEM_SEPARATOR_RE = re.compile(r"、|以及|和|及|与")
_LIST_CLAUSE_END_RE = re.compile(r"[，,；;。！？!?：:]")
# Parts: a figure that its clause gives for a part of a period or a batch (首日有近3000名) does not answer a question
# about the whole (一共有多少人参与), unless the question names that part too.
_WHOLE_ASKED_RE = re.compile(r"一共|总共|共计|合计|总计|累计|\b(?:in total|altogether|overall|whole|entire)\b")
_PART_RE = re.compile(r"首日|首月|首周|首批|首期|第一天|当天|当日")
# Sums: a question that adds figures up (加起来, 之和) is answered by a figure its clause calls a total (共, 合计…).
_SUM_ASKED_RE = re.compile(r"加起来|加在一起|相加|之和|总和|合起来")
_TOTAL_RE = re.compile(r"共|合计|总计|总|累计")
# Per unit: a question about a figure per unit (每平方米的造价, 人均收入) is answered by a figure that its clause gives
# per unit (每, 人均, 平均, 3000元/平方米), not by a total (50亿元). 每到周六 is a time, not a unit.
_PER_ASKED_RE = re.compile(r"每(?!到)|人均|\bper\b")
_PER_RE = re.compile(r"每|均|/")
# Shares and rates: "信用贷款利率是多少？" is answered by a percentage or a ratio, not by 近120亿元.
_SHARE_ASKED_RE = re.compile(
    r"(?:利|税|增长|覆盖|就业|失业|出生|死亡|绿地|绿化|入学|升学|通过|合格|满意|普及|达标)率|比重|占比|比例|百分比|百分之几|几成"
    r"|\b(?:percentage|proportion)\b"
)
_SHARE_RE = re.compile(r"%|％|‰|百分之|[一二三四五六七八九十\d]成|百分点|分之|[:：]")
# Negations: a question about what has not happened (哪些小区还没有完成改造) is answered by a sentence that says
# something has not (没, 未, 不, 无…), not by one of what was done (共完成老旧小区改造…). Not read for why and how
# questions (PHRASE), whose answers say it otherwise (参选资格…被法院驳回 for 为什么没有参选; 零就业家庭 for 没有工作).
_NEGATION_ASKED_RE = re.compile(r"没有|还没|尚未|还未|仍未|并未|未能|从未")
_NEGATION_RE = re.compile(r"没|未|不|无|非|尚|缺|待")
# Superlatives: a question about the most of something (哪个区的口袋公园最多) is answered by a span whose sentence ranks
# (最, 首位, 第一, 领先…), not by one that only mentions the thing (沙河口区星海街新建的口袋公园).
_SUPERLATIVE_ASKED_RE = re.compile(r"最(?:多|少|大|小|高|低|长|短|早|晚|先|快|慢|深|远|近|重|轻|强|好|新|老)")
_RANKING_RE = re.compile(r"最|首|第一|率先|冠|领先|之最|榜首|居前|前列")
# Events: a date question names its event after the word that asks when ("是哪一年开始建设的"); a date whose sentence
# shares no character with those words dates another event (渤海大道…实现全线通车 for 开始建设). One shared character is
# enough (成立 / 创立, 去世 / 逝世); light verbs and particles name no event.
_WHEN_ASKED_RE = re.compile(WHEN_ASKED_ZH)
_LIGHT_WORDS = frozenset({"开始", "进行", "实现", "成为", "发生", "出现", "是", "在", "有", "的", "了", "被", "将", "于"})
_EVENT_FLAGS = frozenset({"v", "vn", "n", "nz", "l", "i", "j"})
# Parts of speech of one modifier before the noun a count is followed by ("缴存/v 职工/n").
_MODIFIER_FLAGS = {"v", "a", "b", "an"}


def mislabelled(question: Question, sentence: str, start: int, end: int) -> bool:
    """Whether `sentence` labels its span `start:end` as other than what `question` asks.

    >>> from qa.question import analyse_question
    >>> sentence = "大连湾海底隧道平均深度水下23米、设计时速60公里。"
    >>> span = sentence.index("60"), sentence.index("60") + 4
    >>> mislabelled(analyse_question("大连湾海底隧道全长多少公里？", 300), sentence, *span)
    True
    >>> mislabelled(analyse_question("大连湾海底隧道的设计时速是多少？", 300), sentence, *span)
    False
    """
    text = question.simplified.lower()
    if _other_time(question.simplified, _after_quotations(sentence[:start])):
        return True
    if question.kind == DATE and not question.english and _other_event(question, sentence):
        return True
    if _asked_not_said(_SUPERLATIVE_ASKED_RE, _RANKING_RE, text, sentence):
        return True
    if question.kind != PHRASE and _asked_not_said(_NEGATION_ASKED_RE, _NEGATION_RE, text, sentence):
        return True
    before = _clause_before(sentence, start).rstrip()
    if question.kind == NUMBER:
        clause = _clause_around(sentence, start, end)
        return (
            _other_measure(_asked_measures(question), before)
            or _other_counted(question.counted, question.unit, sentence, start, end)
            or (question.unit is None and not question.english and _counts_a_duration(sentence, start, end))
            or _asked_not_said(_CHANGE_ASKED_RE, _CHANGE_RE, text, before)
            or _another_item_s(question.simplified, sentence, start)
            or _a_part_s(text, before)
            or _a_subset_s(question, sentence, end)
            or _asked_not_said(_SUM_ASKED_RE, _TOTAL_RE, text, clause)
            or _asked_not_said(_PER_ASKED_RE, _PER_RE, text, clause)
            or _asked_not_said(_SHARE_ASKED_RE, _SHARE_RE, text, sentence[start : end + 3])
        )
    if question.kind == PERSON:
        asked = _english_role(question.simplified) if question.english else question.slot and question.slot[0]
        return bool(asked) and _other_role(asked, before)
    return False


def _asked_not_said(asked: re.Pattern, said: re.Pattern, question: str, text: str) -> bool:
    """The question asks for something (a change, a total, the most…) that `text`, where the answer would say it, does
    not say.

    >>> _asked_not_said(_CHANGE_ASKED_RE, _CHANGE_RE, "比上年增长了多少？", "全年城镇新增就业")
    True
    """
    return bool(asked.search(question)) and not said.search(text)


def _other_event(question: Question, sentence: str) -> bool:
    """The words after the question's "when" (by the question's own tags) name an event, and the sentence shares
    none of their characters.

    >>> from qa.question import analyse_question
    >>> _other_event(analyse_question("渤海大道是哪一年开始建设的？", 300), "2022年6月30日，渤海大道实现全线通车。")
    True
    >>> _other_event(analyse_question("渤海大道什么时候全线通车？", 300), "2022年6月30日，渤海大道实现全线通车。")
    False
    >>> _other_event(analyse_question("这是截至什么时候的数据？", 300), "截至2022年末，总额为2864.16亿元。")
    False
    """
    when = _WHEN_ASKED_RE.search(question.simplified)
    if when is None or question.simplified.startswith("的", when.end()):  # 截至什么时候的数据: what is dated, no event
        return False
    event, at = [], 0
    for word, flag in question.tags:
        if at >= when.end() and flag in _EVENT_FLAGS and word not in _LIGHT_WORDS:
            event.append(word)
        at += len(word)
    return bool(event) and not any(char in sentence for word in event for char in word if is_cjk(char))


def _a_part_s(question: str, before: str) -> bool:
    """The question (lower-cased) asks for a whole (一共, in total) and the span's clause gives the figure for a part
    that the question does not name (首日, 当天).

    >>> _a_part_s("试乘体验活动一共有多少人参与？", "首日有"), _a_part_s("试乘体验活动首日一共有多少人参与？", "首日有")
    (True, False)
    """
    if not _WHOLE_ASKED_RE.search(question):
        return False
    return any(part.group() not in question for part in _PART_RE.finditer(before))


def _a_subset_s(question: Question, sentence: str, end: int) -> bool:
    """The question asks how many of a noun there are in all (一共, 总共…), and the count names a subset of them: a
    modifier with 的 that the question does not share stands between it and the noun ("6家擅自停止供热、不连续运行的
    供热企业" for 一共有多少家供热企业).

    >>> from qa.question import analyse_question
    >>> sentence = "大连市对6家擅自停止供热、不连续运行的供热企业进行顶格处罚。"
    >>> _a_subset_s(analyse_question("大连市一共有多少家供热企业？", 300), sentence, 6)
    True
    >>> _a_subset_s(analyse_question("大连对多少家供热企业进行了顶格处罚？", 300), sentence, 6)
    False
    """
    counted = question.counted
    if counted is None or counted.startswith("“") or not _WHOLE_ASKED_RE.search(question.simplified):
        return False
    clause = _clause_after(sentence, end, _LIST_CLAUSE_END_RE)
    at = clause.find(counted)
    if at <= 0 or "的" not in clause[:at]:
        return False
    unshared = {char for char in clause[:at] if is_cjk(char) and char != "的" and char not in question.simplified}
    return len(unshared) >= 2


def _clause_around(sentence: str, start: int, end: int) -> str:
    """The clause that holds the span `start:end`: from the last clause break before it to the first after it."""
    return _clause_before(sentence, start) + sentence[start:end] + _clause_after(sentence, end, _CLAUSE_END_RE)


def _clause_after(sentence: str, start: int, breaks: re.Pattern) -> str:
    """The text from `start` up to the next of `breaks` (or the sentence's end)."""
    found = breaks.search(sentence, start)
    return sentence[start : found.start() if found else len(sentence)]


def _another_item_s(question: str, sentence: str, start: int) -> bool:
    """The span is one of the figures that "分别为" gives to the items before it, and the question names another of
    the items and not this one's.

    >>> sentence = "累计归集、提取和个贷发放总额分别为2864.16亿元、2065.98亿元、1570.02亿元。"
    >>> _another_item_s("累计提取总额是多少？", sentence, sentence.index("2864")), _another_item_s("累计提取总额是多少？", sentence, sentence.index("2065"))
    (True, False)
    """
    said = [m for m in _RESPECTIVELY_RE.finditer(sentence[:start]) if not _LIST_CLAUSE_END_RE.search(sentence[m.end() : start])]
    if not said:
        return False
    opening = said[-1]
    breaks = list(_LIST_CLAUSE_END_RE.finditer(sentence, 0, opening.start()))
    items = _ITEM_SEPARATOR_RE.split(sentence[breaks[-1].end() if breaks else 0 : opening.start()])
    figures = _clause_after(sentence, opening.end(), _LIST_CLAUSE_END_RE)
    if len(items) < 2 or len(items) != len(_ITEM_SEPARATOR_RE.split(figures)):
        return False
    index = sum(1 for m in _ITEM_SEPARATOR_RE.finditer(figures) if m.end() <= start - opening.end())  # the span's figure
    named = [i for i, key in enumerate(_item_keys(items)) if key in question]
    return bool(named) and index not in named


def _item_keys(items: list[str]) -> list[str]:
    """What tells each enumerated item apart: the first item's last word and the last item's first word (the words
    around the list belong to all: 累计归集、提取和个贷发放总额 -> 归集, 提取, 个贷), the middle ones whole."""
    keys = list(items)
    first, last = tagged_words(items[0]), tagged_words(items[-1])
    if first and len(first[-1][0]) > 1:
        keys[0] = first[-1][0]
    if last and len(last[0][0]) > 1:
        keys[-1] = last[0][0]
    return keys


def _english_role(question: str) -> str | None:
    """The title an English who-question asks for, as the Chinese text writes it; None when it names none.

    >>> _english_role("Who is the deputy chief engineer of the tunnel company?"), _english_role("Who said it?")
    ('副总工程师', None)
    """
    match = _ROLE_EN_RE.search(question.lower())
    if match is None:
        return None
    return ("副" if match.group(1) else "") + _ROLES_EN[match.group(2)]


def _other_time(question: str, before: str) -> bool:
    """The question asks about the time before an event and the last time mark before the span says after it (or
    the other way round).

    >>> _other_time("隧道通车前，车程需要多久？", "今年上半年具备通车条件，届时，隧道北岸和南岸之间车程仅需")
    True
    >>> _other_time("孙晋以前坐公交要多长时间？", "我在中山广场上班，以前坐公交要")
    False
    """
    asks_before, asks_after = bool(_BEFORE_RE.search(question)), bool(_AFTER_RE.search(question))
    if asks_before == asks_after:
        return False
    marks = [(m.end(), "before") for m in _BEFORE_RE.finditer(before)] + [(m.end(), "after") for m in _AFTER_RE.finditer(before)]
    if not marks:
        return False
    last = max(marks)[1]
    return last != ("before" if asks_before else "after")


def _after_quotations(before: str) -> str:
    """The text before a span from the end of the last quotation in it (all of it when it holds none).

    >>> _after_quotations("“以前坐公交要40分钟以上，以后只需要十几分钟。”乘客"), _after_quotations("建成“公园城市”后")
    ('乘客', '建成“公园城市”后')
    """
    quotations = list(_QUOTATION_RE.finditer(before))
    return before[quotations[-1].end() :] if quotations else before


def _clause_before(text: str, start: int) -> str:
    """The text from the last clause break before `start` up to it."""
    head = text[:start]
    breaks = list(_CLAUSE_END_RE.finditer(head))
    return head[breaks[-1].end() :] if breaks else head


def _counts_a_duration(sentence: str, start: int, end: int) -> bool:
    """The span is the number of a duration that runs on after it ("5" of 车程仅需5分钟): a time, not the amount or count
    asked for (a question that asks 多少分钟 or 几年 is a duration question, and one that asks 几个月 has that unit).

    >>> _counts_a_duration("车程仅需5分钟。", 4, 5), _counts_a_duration("新增停车位4万个。", 5, 8)
    (True, False)
    """
    return any(m.start() <= start and end < m.end() for m in DURATION_RE.finditer(sentence))


def _other_measure(asked: list[tuple[str, str | None]], before: str) -> bool:
    """The question asks for measures, the clause labels the number with measures, and none is the question's: of
    another kind, or of the same kind with another qualifier (平均深度 for 最大深度).

    >>> _other_measure([("area", None)], "共完成老旧小区改造")  # no label: a bare number may be the asked measure
    False
    >>> _other_measure([("depth", "最大")], "平均深度水下"), _other_measure([("depth", None)], "平均深度水下")
    (True, False)
    """
    labels = _measures(before)
    return bool(asked) and bool(labels) and not any(_same_measure(a, b) for a in asked for b in labels)


def _asked_measures(question: Question) -> list[tuple[str, str | None]]:
    """(kind, qualifier) of the measures the question asks for: its measure words, or how it asks ("多长", "how deep").

    >>> from qa.question import analyse_question
    >>> _asked_measures(analyse_question("隧道最大深度是多少米？", 300)), _asked_measures(analyse_question("How long is the tunnel?", 300))
    ([('depth', '最大')], [('length', None)])
    """
    named = _measures(question.simplified)
    if named:
        return named
    text = question.simplified.lower()
    return [(kind, None) for kind, pattern in _ASKED_MEASURES.items() if pattern.search(text)]


def measure_words(text: str) -> list[str]:
    """The measure words in `text` ("大连湾海底隧道的总投资是多少？" -> ["总投资"]): what a number measures, as the noun
    after 多少 is what it counts (`qa.question.Question.counted`)."""
    return _MEASURE_RE.findall(text)


def _measures(text: str) -> list[tuple[str, str | None]]:
    """(kind, qualifier) of each measure word in `text`: "平均深度" -> ("depth", "平均")."""
    found = []
    for match in _MEASURE_RE.finditer(text):
        qualifier = _QUALIFIER_RE.search(text[: match.start()])
        found.append((_MEASURE_OF[match.group()], qualifier.group() if qualifier else None))
    return found


def _same_measure(asked: tuple[str, str | None], label: tuple[str, str | None]) -> bool:
    """Same kind, and no two different qualifiers (an unqualified label may be the asked maximum or average)."""
    return asked[0] == label[0] and (asked[1] is None or label[1] is None or asked[1] == label[1])


def _other_counted(counted: str | None, unit: str | None, sentence: str, start: int, end: int) -> bool:
    """The question counts something (`Question.counted`) that the count's sentence never names, or the count is
    followed by a noun that names something else (`_same_counted`). A figure in another unit is a count here when
    the question asks in that unit (`unit`, `Question.unit`) for the noun after it: "多少公里城市道路" is not answered
    by "200公里农村公路".

    >>> sentence = "累计为317家缴存企业及11万户缴存职工发放信用贷款。"
    >>> _other_counted("企业", "家", sentence, 12, 16), _other_counted("企业", "家", sentence, 3, 7)
    (True, False)
    >>> _other_counted("社区", "个", "新增停车位4.5万个，实现双赢。", 5, 10)
    True
    >>> sentence = "35条道路升级、200公里农村公路修建等项目。"
    >>> _other_counted("城市道路", "公里", sentence, 8, 13), _other_counted("农村公路", "公里", sentence, 8, 13)
    (True, False)
    """
    if counted is None:
        return False
    if not _shares_character(counted, sentence):
        return True
    span = sentence[start:end]
    if not _COUNTING_END_RE.search(span) and not (unit and units_compatible(unit, unit_of(span))):
        return False
    noun = _noun_after(sentence[end:])
    return noun is not None and not _same_counted(counted, noun)


def _same_counted(asked: str, noun: str) -> bool:
    """Whether a count's noun names what the question counts. A name in quotes is only itself (“新时代最美职工” is not
    “十佳新时代最美职工”); a question that counts without quotes names it by its start (法治 or 法治超市 for “法治超市”);
    other nouns match when they share two characters, or the one of a one-character noun
    (停车位 / 停车泊位, 企业 / 缴存企业, 村 / 行政村): a paraphrase keeps some, a different thing with the same
    head shares one at most (治安巡逻队 / 志愿服务队伍).

    >>> _same_counted("停车位", "停车泊位"), _same_counted("治安巡逻队", "志愿服务队伍")
    (True, False)
    >>> _same_counted("“十佳新时代最美职工”", "“新时代最美职工”"), _same_counted("村", "行政村")
    (False, True)
    >>> _same_counted("法治", "“法治超市”"), _same_counted("最美职工", "“新时代最美职工”")
    (True, False)
    """
    if not asked.startswith("“") and noun.startswith("“"):
        return noun.strip("“”").startswith(asked)
    if asked.startswith("“") or noun.startswith("“"):
        return asked == noun
    shared = {char for char in asked if is_cjk(char) and char in noun}
    return len(shared) >= min(2, len(asked), len(noun))


def _noun_after(text: str) -> str | None:
    """The noun that `text` starts with, with one modifier before it ("缴存职工发放…" -> "缴存职工"), or the name in
    quotes it starts with ("“新时代最美职工”和…" -> "“新时代最美职工”"); None if none."""
    quoted = QUOTED_NAME_RE.match(text)
    if quoted is not None:
        return quoted.group()
    words = tagged_words(_CLAUSE_END_RE.split(text, maxsplit=1)[0])
    modifier = ""
    if len(words) > 1 and words[0][1] in _MODIFIER_FLAGS and words[1][1] in NOUN_FLAGS:
        modifier, words = words[0][0], words[1:]
    noun = "".join(word for word, _ in itertools.takewhile(lambda pair: pair[1] in NOUN_FLAGS, words))
    return modifier + noun if noun else None


def _shares_character(name: str, text: str) -> bool:
    return any(is_cjk(char) and char in text for char in name)


def _other_role(asked_text: str, before: str) -> bool:
    """The question asks for a role (the words before 谁 end with one), the name follows another.

    >>> _other_role("大魏家街道的主任", "大魏家街道副主任"), _other_role("大魏家街道副主任", "大魏家街道副主任")
    (True, False)
    >>> _other_role("公司的书记", "公司党委书记"), _other_role("称赞大连的", "居民")  # no role asked: no check
    (False, False)
    """
    asked, label = _ending_role(asked_text), _ending_role(before)
    if asked is None or label is None:
        return False
    return not (_same_role(asked, label) or _same_role(label, asked))


def _ending_role(text: str) -> str | None:
    """The title or role `text` ends with, 副 included: "大魏家街道副主任" -> "副主任"."""
    role = next((role for role in ROLES if text.endswith(role)), None)
    if role is not None and text[: -len(role)].endswith("副"):
        return "副" + role
    return role


def _same_role(longer: str, shorter: str) -> bool:
    """`longer` is `shorter` with a qualifier that is not 副 ("党委书记" is a 书记, "副主任" is not a 主任)."""
    return longer.endswith(shorter) and not longer[: -len(shorter)].endswith("副")
