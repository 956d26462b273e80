"""Who someone is, as a news text introduces them: "[organisation][title][name]" (大连湾海底隧道有限公司副总工程师孙磊,
大魏家街道副主任王霞, 乘客孙晋, 本报记者 王荣琦).

A question that asks who a named person is (孙磊是谁？, Who is Sun Lei?) is answered by the words before the name,
back to the start of their clause; one that asks what they work as (王霞是做什么的？, What is Huang Weidong's job?) so
too, when the title is a post (a resident, passenger or graduate holds none); one that asks for a post (黄伟东担任
什么职务？, What position does Wang Xia hold?) by the title alone, when it is a post; one that asks where they work
(孙磊就职于哪家公司？, Where does Wang Xia work?) by the words before the title, when it is a post and they end as the
place or body asked for (哪个街道: 大魏家街道). The other names the question gives must be in the introduction: 孙磊在大连理工大学担任什么职务 is not answered by 大连湾海底隧道有限公司副总工程师.

The span rules and the reader look for an answer of a kind (a name, a number, a phrase near the question's words); an
introduction is none of these, and the reader was never trained on such questions: on the article's tune split they
answered none of 14 such questions (rounds 25 and 26), where this answers all 14 (one as 本报记者 for 记者) and
declines the 7 the article does not answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.corpus import Corpus
from qa.document import FULL_STOPS, SPAN_PAIRS
from qa.labels import ROLES
from qa.question import Question, ends_as_asked

# How a question asks who the person named just before is, what they work as, which post they hold (in an
# organisation) or where they work.
_WHO_ASKED_ZH = r"(?:是谁|是什么人|是什么身份|的身份是什么)"
_JOB_ASKED_ZH = r"(?:是做什么的|是干什么的|是做什么工作的|做什么工作|从事什么工作|从事什么职业|是什么职业)"
_POST_ASKED_ZH = r"(?:在[^，,？?]{2,30}?)?(?:担任|任|的|是)?(?:什么|哪个|何)?(?:职务|职位|头衔|官职)"
_WORKPLACE_ASKED_ZH = (
    r"(?:在哪(?:里|儿|一?[家个所])?(?:公司|单位|企业|街道|部门|机构|地方)?|就职于哪\S{0,3}|任职于哪\S{0,3}|在什么(?:公司|单位|地方))"
    r"(?:工作|上班|任职|就职)?[？?]?$"
)
_WHO_ASKED_EN = re.compile(r"^who (?:is|was) [a-z]+(?: [a-z]+){0,2}\W*$")  # the name alone: not "who is Sun Lei's boss"
_JOB_ASKED_EN = re.compile(r"\b(?:job|occupation|profession|work as)\b|^what does .+ do\b")
_POST_ASKED_EN = re.compile(r"\b(?:position|post|title)\b")
_WORKPLACE_ASKED_EN = re.compile(
    r"^where does .+ work\b|^who does .+ work for\b"
    r"|^(?:which|what) (?:company|organi[sz]ation|unit|employer) does .+ work (?:for|at|in)\b"
)
# Titles that name no post: 孙晋在公司担任什么职务 is not answered by 乘客.
NOT_POSTS = frozenset({"居民", "村民", "市民", "乘客", "学生", "毕业生"})
_TITLE_END_RE = re.compile("(?:副)?(?:" + "|".join(ROLES) + ")$")
# Where an introduction starts: after a clause break, a quotation mark, a bracket or a space (本报讯 记者吕丽报道).
_INTRODUCTION_START_RE = re.compile(
    "[" + re.escape(FULL_STOPS + "，、：" + "".join(opener + closer for opener, closer in SPAN_PAIRS.items())) + r"\s]"
)


@dataclass(frozen=True)
class Introduction:
    """Where the corpus introduces a person: in the sentence of row `row`, the description `start`-`end` and its
    title `title_start`-`end`, in source coordinates of the row's document."""

    row: int
    start: int
    title_start: int
    end: int


def introductions(corpus: Corpus, name: str) -> list[Introduction]:
    """Every place where the corpus gives `name` right after a title (a space between them allowed), in order.

    >>> from qa.document import parse_document
    >>> corpus = Corpus([parse_document("大连湾海底隧道有限公司副总工程师孙磊表示，隧道已通车。", "t")])
    >>> [(i.start, i.title_start, i.end) for i in introductions(corpus, "孙磊")]
    [(0, 11, 16)]
    """
    found = []
    for row in sorted(corpus.rows_with(name)):
        sentence = corpus.rows[row].sentence
        for match in re.finditer(re.escape(name), sentence.text):
            before = sentence.text[: match.start()].rstrip(" ")
            title = _TITLE_END_RE.search(before)
            if title is None:
                continue
            starts = [m.end() for m in _INTRODUCTION_START_RE.finditer(before, 0, title.start())]
            start = starts[-1] if starts else 0
            source_start, source_end = sentence.source_span(start, len(before))
            found.append(Introduction(row, source_start, sentence.source_span(title.start(), len(before))[0], source_end))
    return found


# What a question asks of a person: who they are (the introduction), what they work as (the introduction, if its
# title is a post), which post they hold (the title, if it is a post) or where they work (the introduction before the
# title, if the title is a post and it ends as the place or body asked for).
WHO, JOB, POST, WORKPLACE = "who", "job", "post", "workplace"
_ASKED_ZH = ((POST, _POST_ASKED_ZH), (WORKPLACE, _WORKPLACE_ASKED_ZH), (JOB, _JOB_ASKED_ZH), (WHO, _WHO_ASKED_ZH))
_ASKED_EN = ((POST, _POST_ASKED_EN), (WORKPLACE, _WORKPLACE_ASKED_EN), (JOB, _JOB_ASKED_EN), (WHO, _WHO_ASKED_EN))


def answer_role(corpus: Corpus, question: Question, names: list[tuple[str, ...]]) -> tuple[int, int, int] | None:
    """(row, start, end) of the answer to a question about who a person is, what they work as, which post they hold
    or where they work, or None when `question` asks no such thing of one person the corpus introduces. `names`: the Chinese words
    of each name of an English question (`qa.crosslingual.Glossary.names`); a Chinese question's are its entities."""
    candidates = [(name,) for name in question.entities] if not question.english else names
    introduced = [(words, [i for word in words for i in introductions(corpus, word)]) for words in candidates]
    people = [(words, found) for words, found in introduced if found]
    if len(people) != 1:
        return None
    person, found = people[0]
    asked = _asked(question, person)
    if asked is None:
        return None
    others = [words for words, _ in introduced if not any(w in p or p in w for w in words for p in person)]
    for intro in found:
        source = corpus.rows[intro.row].document.source
        if not all(any(word in source[intro.start : intro.end] for word in words) for words in others):
            continue  # 孙磊在大连理工大学担任什么职务: not where the text introduces him
        if asked != WHO and source[intro.title_start : intro.end].removeprefix("副") in NOT_POSTS:
            continue
        if asked == WORKPLACE:
            workplace = source[intro.start : intro.title_start]
            if workplace and ends_as_asked(question, workplace):
                return intro.row, intro.start, intro.title_start
            continue
        return intro.row, intro.title_start if asked == POST else intro.start, intro.end
    return None


def _asked(question: Question, person: tuple[str, ...]) -> str | None:
    """WHO, JOB, POST or WORKPLACE: what the question asks of `person` (the first that fits, in that order of
    patterns: 孙磊在哪家单位担任什么职务 asks for a post); None when it asks none of them."""
    if question.english:
        text = question.simplified.lower()
        return next((asked for asked, pattern in _ASKED_EN if pattern.search(text)), None)
    for name in person:
        for asked, pattern in _ASKED_ZH:
            if re.search(re.escape(name) + pattern, question.simplified):
                return asked
        if re.search(rf"(?:^|[，,])谁是{re.escape(name)}[？?]?$", question.simplified):
            return WHO
    return None
