"""Span rules: typed answer candidates (numbers with units, dates, people, places, organisations, quoted names, lists) in a sentence."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass


from qa.question import (
    DATE,
    DURATION,
    LIST,
    NAMED,
    NUMBER,
    ORG,
    PERSON,
    PHRASE,
    PLACE,
    UNITS,
    Question,
    ends_as_asked,
    units_compatible,
)
from qa.text import is_cjk, tagged_words

_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"  # 6,476 whole, not its tail 476
_CN_DIGITS = r"[一二两三四五六七八九十百千]+"
_UNIT_ALT = "|".join(re.escape(u) for u in UNITS if u not in ("年", "天", "分钟", "小时", "岁"))
_LATIN_UNIT = r"[A-Za-z]{1,3}[²³]?(?![A-Za-z])"  # 30km, 512MB, 1.6km²: a unit in Latin letters, right after the digits
# The same after a space (1.601 km²), for common units only: "3 the" is no quantity.
_SPACED_LATIN_UNIT = r" (?:km|cm|mm|m|kg|mg|ha|ft|mi|MB|GB|TB|Hz|kHz|MHz|GHz|kW|MW|mph)[²³]?(?![A-Za-z])"
_QUANTITY = rf"{_DIGITS}(?:万|亿|千|百)?(?:余|多)?(?:%|(?:{_UNIT_ALT})|{_LATIN_UNIT}|{_SPACED_LATIN_UNIT})?"
# 近3000名, 4.5万个, 88%左右, 2864.16亿元, 1万余个, 30万人次以上, 800余支, 两千多名, 约十万港元, 15至20厘米, 100米至2,800米, ±10m, 第二位:
# qualifiers, ranges (with or without a unit on their first number) and ordinals stay inside the span, and so does a
# unit in Latin letters (30km). A ratio (1：7) is one number.
NUMBER_RE = re.compile(
    rf"(?:近|约|逾|超过|超|共计|第|±)?(?:{_DIGITS}[:：]{_DIGITS}(?!\d)|(?:{_QUANTITY}(?:至|到|~|～|-|—))?{_QUANTITY}"
    rf"|{_CN_DIGITS}(?:万|亿)?(?:多|余)?(?:{_UNIT_ALT}))"
    r"(?:左右|以上|多)?"
)
DATE_RE = re.compile(
    r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日(?:[-—~～至到](?:\d{1,2}月)?\d{1,2}日)?)?|初|末|底|上半年|下半年)?"
    r"|\d{1,2}月\d{1,2}日|\d{1,2}月(?:份|初|底)?"
    r"|(?:今年|去年|明年|当年|本季)(?:上半年|下半年|以来|初|底)?|每到周[一二三四五六日天]|近年来|一年多来|近日|连日来"
)
DURATION_RE = re.compile(
    rf"(?<![上下])(?:近|约)?(?:{_DIGITS}(?:万|亿|千|百)?|[一二两三四五六七八九十百千万几半]+)(?:多|余)?(?:个多|个)?"
    r"(?:分钟|小时|天|周|个月|月|年)(?:以上|左右|多)?"
)  # 5分钟, 一年多, 两个多月, 近2,400万年; not the 半年 of 上半年 (a date)
# Answers to 多少岁 / 几岁 (ages are no counts: 岁 is not among the number units) and to 第几 (第三, 第3).
_AGE_RE = re.compile(rf"(?:近|约)?(?:{_DIGITS}|{_CN_DIGITS})(?:多|余)?(?:周)?岁(?:左右|以上|多)?")
_ORDINAL_RE = re.compile(rf"第(?:{_DIGITS}|{_CN_DIGITS})(?:{_UNIT_ALT})?")
# Date questions that ask for a day or a month, and the spans that name one.
_DAY_ASKED_RE = re.compile(r"哪一?天|哪一?日|几号|几日|日期")
_MONTH_ASKED_RE = re.compile(r"哪个?月|几月")
# A period up to now (今年以来, 近年来, 连日来) tells since when something holds (CMRC: 十九世纪以来 for 香港何时成为
# 英国的殖民地), not when an event happens (今年以来 for 什么时候投入运行 is the time of the news).
_SINCE_RE = re.compile(r"(?:以来|年来|多来|日来)$")
_SINCE_ASKED_RE = re.compile(r"从什么时候|从何时|何时起|什么时候起|开始|成为|以来")
_DAY_RE = re.compile(r"\d{1,2}日|\d{1,2}号|[一二三四五六七八九十]+[日号]")
_MONTH_RE = re.compile(r"\d{1,2}月|[一二三四五六七八九十]+月")
# Times that name no calendar date but answer "when" (二十世纪初期, 577年, 明朝, 上午9时, 九岁的一天, 高二的时候): the reader's
# spans may.
_TIME_RE = re.compile(
    r"\d{1,4}年|[〇零一二三四五六七八九十百千]+年|世纪|年代|年间|时期|初期|中期|末期|元年|朝|[春夏秋冬]季|凌晨|清晨|早上|上午|中午|下午|傍晚|晚上|\d{1,2}[时点]"
    r"|\d{1,3}岁|[一二两三四五六七八九十]+岁|时候|平日|周末|早年|晚年|童年|少年时"
    r"|[^\d\s]末$|[^\d\s]{2,}[时后]$"  # 唐末, 魏晋时, 太平洋战争结束后: a time named by what it ends or follows
)
# Kinds whose answer never runs over a clause break (see `fits_kind`); 、 joins names or numbers and is not one.
_ONE_CLAUSE_KINDS = frozenset({NUMBER, DATE, DURATION, PERSON, PLACE, ORG})
_CLAUSE_BREAK_RE = re.compile(r"[，；。！？;]|(?<!\d),|,(?!\d{3}(?!\d))")  # not the comma of 1,980米
# Kinds whose answer is a name: a span with the copula 是 (outside quotes and titles, after its first character, so
# not 是枝裕和 or 《第一次不是你》) states something about a name rather than giving one (see `fits_kind`).
NAME_KINDS = frozenset({PERSON, PLACE, ORG})
_COPULA_RE = re.compile(r"(?<=.)是")
QUOTED_RE = re.compile(r"“([^”]{1,30})”|《([^》]{1,40})》|「([^」]{1,30})」")
LIST_RE = re.compile(
    r"(?:[\u4e00-\u9fffA-Za-z0-9“”]{1,12}、)+[\u4e00-\u9fffA-Za-z0-9“”]{1,12}?(?=等|[，。；：）]|和|及|$)"
)
# Administrative units: an address (大连市中山区老虎滩街道) is cut after each, and a which-question for one (哪个区,
# `Question.head`) gets the units of each address as candidates.
ADDRESS_UNITS = ("小区", "社区", "街道", "省", "市", "区", "县", "镇", "乡", "村")
# What a place's or an organisation's name ends with.
_PLACE_ENDINGS = (*ADDRESS_UNITS, "广场", "大院", "路", "站", "港", "湾", "岛", "城", "园")
_ORG_ENDINGS = (
    "公司", "集团", "大学", "学院", "中心", "委员会", "政府", "工会", "妇联", "团委", "部", "办", "局", "厅", "组织", "协会",
    "队伍", "工作室", "超市", "银行", "企业", "党委", "工委",
)
_NOUNISH = {"n", "nr", "ns", "nt", "nz", "ng", "nrt", "nrfg", "j", "eng", "vn", "an", "l", "b"}
_PERSON_FLAGS = {"nr", "nrfg", "nrt"}
_NAME_DOTS = {"·", "・", "•", "‧", "･"}  # between the parts of a transliterated name
_NAME_PART_FLAGS = _PERSON_FLAGS | {"nz", "ns"}


@dataclass(frozen=True)
class Span:
    """A typed candidate inside a text: `text == source_text[start:end]`."""

    start: int
    end: int
    text: str
    kind: str


def candidates(question: Question, text: str) -> list[Span]:
    """Every span of `text` whose form fits the kind of answer `question` expects.

    >>> from qa.question import analyse_question
    >>> [s.text for s in candidates(analyse_question("建成了多少处口袋公园？", 300), "建成112处口袋公园及多处停车场")]
    ['112处']
    """
    kind = question.kind
    if kind == NUMBER:
        if question.unit == "岁":
            return _regex_spans(_AGE_RE, text, NUMBER)
        spans = [s for s in _regex_spans(NUMBER_RE, text, NUMBER) if not _is_year(s.text)]
        if "第几" in question.simplified:  # 第三 has no unit; 第3名 is a number too
            spans += [s for s in _regex_spans(_ORDINAL_RE, text, NUMBER) if s not in spans]
        if question.unit is not None:
            spans = [s for s in spans if units_compatible(question.unit, unit_of(s.text))]
        return spans
    if kind == DATE:
        return _regex_spans(DATE_RE, text, DATE)
    if kind == DURATION:
        return _regex_spans(DURATION_RE, text, DURATION)
    if kind == NAMED:
        return quoted_spans(text)
    if kind == LIST:
        return _regex_spans(LIST_RE, text, LIST)
    if kind == PERSON:
        return _person_spans(text)
    if kind in (PLACE, ORG):
        endings = _PLACE_ENDINGS if kind == PLACE else _ORG_ENDINGS
        spans = [s for s in _noun_phrases(text) if s.text.endswith(endings)]
        if kind == PLACE and question.head in ADDRESS_UNITS:
            spans += [s for s in address_units(text) if s not in spans]
        return spans
    assert kind == PHRASE, kind
    return _clauses(text)


def fits_kind(question: Question, text: str) -> bool:
    """Whether a span has the form the question asks for (the reader's spans, and every answer before it is shown).

    A number question needs a number (with the asked unit, if any); a date or duration question a date or duration,
    a day when it asks which day (哪一天, 几号), a month when it asks which month; a which-question's answer ends as
    the kind of place or body asked for ("哪个小区" -> "…小区", `ends_as_asked`). The answer to a number, date,
    duration, person, place or organisation question stays within one clause: a span that runs over a comma is a
    clause that holds the answer, or none (CMRC's annotators sometimes mark such clauses; the article's never do).
    A person, place or organisation is a name, not a statement: "大连湾海底隧道是我国…“超级工程”" does not say
    which body designed the tunnel (CMRC trial's one such reader span with 是 is a film title, 《第一次不是你》).

    >>> from qa.question import analyse_question
    >>> fits_kind(analyse_question("渤海大道全长多少公里？", 300), "1个小时")
    False
    >>> fits_kind(analyse_question("新政是哪一天出台的？", 300), "2022年"), fits_kind(analyse_question("新政是哪一年出台的？", 300), "2022年")
    (False, True)
    """
    if question.kind in _ONE_CLAUSE_KINDS and _CLAUSE_BREAK_RE.search(text):
        return False
    if question.kind in NAME_KINDS and _COPULA_RE.search(QUOTED_RE.sub("", text)):
        return False
    if not ends_as_asked(question, text):
        return False
    if question.kind == NUMBER:
        return bool(candidates(question, text))
    if question.kind == DATE:
        if _SINCE_RE.search(text) and not _SINCE_ASKED_RE.search(question.simplified):
            return False
        if _DAY_ASKED_RE.search(question.simplified):
            return bool(_DAY_RE.search(text))
        if _MONTH_ASKED_RE.search(question.simplified):
            return bool(_MONTH_RE.search(text))
        return bool(DATE_RE.search(text) or _TIME_RE.search(text))
    if question.kind == DURATION:
        return bool(DURATION_RE.search(text))
    return True


def _regex_spans(pattern: re.Pattern, text: str, kind: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(0), kind) for m in pattern.finditer(text) if m.group(0)]


def _is_year(number: str) -> bool:
    return bool(re.fullmatch(r"\d{4}", number))


def unit_of(number: str) -> str | None:
    """The unit a number span ends with, without the qualifier after it; None if it has none.

    >>> unit_of("200公里"), unit_of("88%左右"), unit_of("2022")
    ('公里', '%', None)
    """
    match = re.search(rf"(%|{_UNIT_ALT}|(?<=\d){_LATIN_UNIT}|(?<=\d){_SPACED_LATIN_UNIT})(?:左右|以上|多)?$", number)
    return match.group(1).strip() if match else None


def quoted_spans(text: str) -> list[Span]:
    """The contents of quotation marks and title marks: “万岗计划” -> 万岗计划."""
    spans = []
    for m in QUOTED_RE.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g) is not None)
        spans.append(Span(m.start(group), m.end(group), m.group(group), NAMED))
    return spans


@functools.lru_cache(maxsize=8192)
def _words(text: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, word, part of speech) of each jieba word; cached, as the same sentences come back question after question."""
    out, position = [], 0
    for word, flag in tagged_words(text):
        out.append((position, position + len(word), word, flag))
        position += len(word)
    return tuple(out)


def _person_spans(text: str) -> list[Span]:
    """People named in `text`: a jieba name of 2-4 Chinese characters, or a transliterated name whose parts a middle
    dot joins, whole (贾斯汀·特鲁多, which jieba cuts into 贾 / 斯汀 / · / 特鲁多; jieba tags such parts as any kind
    of name: 凯文/nz · 加内特/ns).

    >>> [s.text for s in _person_spans("总理贾斯汀·特鲁多的父亲是皮埃尔·特鲁多。")]
    ['贾斯汀·特鲁多', '皮埃尔·特鲁多']
    """
    spans, run = [], []
    for word in _words(text) + ((len(text), len(text), "", "x"),):
        joins = word[2] in _NAME_DOTS and run and run[-1][3] in _NAME_PART_FLAGS
        if word[3] in _NAME_PART_FLAGS or joins:
            run.append(word)
            continue
        while run and run[-1][2] in _NAME_DOTS:
            run.pop()  # a dot that no name part follows
        if any(w[2] in _NAME_DOTS for w in run):
            spans.append(Span(run[0][0], run[-1][1], text[run[0][0] : run[-1][1]], PERSON))
        else:
            spans.extend(
                Span(s, e, w, PERSON)
                for s, e, w, flag in run
                if flag in _PERSON_FLAGS and 2 <= len(w) <= 4 and all(is_cjk(c) for c in w)
            )
        run = []
    return spans


def _noun_phrases(text: str) -> list[Span]:
    """Every run of consecutive noun-like words (a place or an organisation is such a run: 西岗区香炉礁街道香川社区)."""
    spans: list[Span] = []
    run: list[tuple[int, int, str, str]] = []
    for word in _words(text) + ((len(text), len(text), "", "x"),):
        if word[3] in _NOUNISH or (run and word[3] in {"m", "q"}):
            run.append(word)
            continue
        for i in range(len(run)):
            for j in range(i, len(run)):
                start, end = run[i][0], run[j][1]
                if 2 <= end - start <= 24:
                    spans.append(Span(start, end, text[start:end], PHRASE))
        run = []
    return spans


def address_units(text: str) -> list[Span]:
    """The units of each address in `text`, whatever jieba made of their names: 大连市, 中山区, 老虎滩街道, 中兴社区
    in 大连市中山区老虎滩街道中兴社区 (jieba: 大连市 / 中 / 山区 / 老虎滩 / 街道 …), 大魏家街道 in 金普新区大魏家街道
    (大 / 魏家 / 街道). An address is a run of noun-like words and characters jieba does not know (隽 in 港湾隽景小区),
    with a one-character adjective or locality word (大, 中) before a noun; it is cut after each word that ends with an
    administrative unit.

    >>> [s.text for s in address_units("家住大连市中山区港湾隽景小区的张岩说")]
    ['大连市', '中山区', '港湾隽景小区']
    """
    spans: list[Span] = []
    words = _words(text) + ((len(text), len(text), "", "x"),)
    run_start = None
    for i, (start, end, word, flag) in enumerate(words):
        unknown = flag == "x" and all(is_cjk(c) for c in word)  # a rare character jieba does not know (隽)
        nounish = unknown or flag in _NOUNISH or (len(word) == 1 and flag in {"a", "f"} and words[i + 1][3] in _NOUNISH)
        if nounish:
            run_start = start if run_start is None else run_start
            if word.endswith(ADDRESS_UNITS):
                spans.append(Span(run_start, end, text[run_start:end], PLACE))
                run_start = end
            continue
        run_start = None
    return spans


def _clauses(text: str) -> list[Span]:
    """Phrase candidates: the clauses of `text` between any breaks, 、 included, without their quotes."""
    spans, start = [], 0
    for m in re.finditer(r"[，,；;：:。！？!?、]|$", text):
        piece = text[start : m.start()]
        stripped = piece.strip("“”\"' ")
        if stripped:
            offset = start + piece.index(stripped)
            spans.append(Span(offset, offset + len(stripped), stripped, PHRASE))
        start = m.end()
    return spans
