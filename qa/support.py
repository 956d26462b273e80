"""Whether the corpus supports an answer, beyond the labels of its own sentence (`qa.labels`).

Three checks read the corpus around the chosen span:
- names: the question's names and numbers (`Question.entities`; for an English question, the Chinese words of its
  capitalised names) must be in the answer's paragraph or the heading above it (a brief's headline names its subject:
  群团组织 for the briefs under "群团组织 联合开展协同创新活动"): "Who is the deputy chief engineer of Bohai Avenue?"
  is not answered from a paragraph about the tunnel. A report says 今年 for the year it is written in, which a reader asks
  about by its number: "2023年大连计划新开办多少所公办幼儿园？" is answered from "今年，…新开办10所公办幼儿园" in a
  report whose latest year is 2023;
- counts: a count of the asked noun answers only if its sentence holds one of the question's specific words:
  "今年大连为多少户居民安装电梯？" is not answered by "…完成192个小区…的改造面积，受益居民达到15万户"; nor a
  figure of the asked measure whose sentence holds none while another holds two: "大连农村公路修建项目的总投资是多少？"
  is not answered by the 50亿元 of old-estate renovation;
- years: a question about one year (2022年, 今年, this year) is not answered from a sentence that names other years
  and not that one: "今年大连将为多少名灵活就业人员建制参保？" is not answered by 2022年's 700余名.
The first two need to know which words are specific to a question (in few of the corpus's sentences) and which name what the
whole corpus is about (大连 in the article, whose paragraphs need not repeat it).
"""

from __future__ import annotations

import re
from collections import Counter

from qa.corpus import Corpus
from qa.labels import measure_words
from qa.question import Question
from qa.rules import DATE_RE

# The years a question or sentence names: 2022年 (a bare 2022 in English), and 今年 / this year for the document's
# latest. A bare number is no year in Chinese (2065.98亿元, 2000余人), nor a year that a time is reckoned from
# (继1987年以后: the sentence may be about a later one).
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})年(?!以后|以来|以前|之后|之前|后|前|起)")
_YEAR_EN_RE = re.compile(r"\b((?:19|20)\d{2})\b")
_THIS_YEAR_RE = re.compile(r"今年|本年|\bthis year\b")

# A word in at most this share of the corpus's sentences is specific to what a question asks; a name in more is what
# the corpus is about.
SPECIFIC_SHARE = 0.1
# jieba's tags (by first letter) of words that are not specific whatever their frequency: times, adverbs, numbers,
# measure words, pronouns, prepositions, conjunctions, particles.
_NOT_SPECIFIC_FLAGS = ("t", "d", "m", "q", "r", "p", "c", "u")


class Support:
    """The two checks over one corpus (see the module's docstring)."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self._few = max(1, int(len(corpus) * SPECIFIC_SHARE))

    def missing_name(self, question: Question, row: int, names: list[tuple[str, ...]]) -> bool:
        """Whether the paragraph of `row` and its section's heading lack one of the question's entities (its
        document's latest year counts as said where they say 今年 or 本年), or all the Chinese words of one of `names` (an
        English question's names, `qa.crosslingual.Glossary.names`) unless the corpus is about it."""
        context = f"{self.corpus.rows[row].unit.section}\n{self.corpus.paragraph_around(row)}"
        this_year = self.corpus.rows[row].document.latest_year if _THIS_YEAR_RE.search(context) else None
        if any(entity not in context and entity != this_year for entity in question.entities):
            return True
        return any(not any(word in context for word in words) for words in names if not self._about(words))

    def other_year(self, question: Question, row: int) -> bool:
        """The question names one year, and the sentence of `row` names years, none of them that one."""
        latest = self.corpus.rows[row].document.latest_year
        asked = _years(question.simplified.lower(), latest, question.english)
        said = _years(self.corpus.rows[row].sentence.text, latest)
        return len(asked) == 1 and bool(said) and not asked & said

    def count_for_other_matter(self, question: Question, row: int) -> bool:
        """A count of the asked noun, or a figure of the asked measure (总投资, 面积: `qa.labels.measure_words`), in the
        sentence of `row`, which holds none of the question's specific words.

        Words the corpus never uses (a paraphrase), the counted noun, and times, adverbs, numbers and function words
        (今年, 目前: jieba's tags) say nothing either way (CMRC trial: counting 目前 lost a right answer to
        目前学校有几个校区).
        """
        measured = measure_words(question.simplified)
        if question.counted is None and not measured:
            return False
        asked = [noun for noun in (question.counted, *measured) if noun]
        flags = dict(question.tags)
        specific = [
            word
            for word in question.words
            if len(word) > 1
            and not any(word in noun for noun in asked)
            and not word.isdigit()
            and not DATE_RE.fullmatch(word)
            and not flags.get(word, "n").startswith(_NOT_SPECIFIC_FLAGS)
            and 0 < self.corpus.sentence_frequency(word) <= self._few
        ]
        sentence = self.corpus.rows[row].sentence.text
        if not specific or any(word in sentence for word in specific):
            return False
        if question.counted is not None:
            return True
        # A measure is named more loosely than a counted noun ("旧楼翻新工程要覆盖的建筑总面积" for 老旧小区改造's
        # 1100万平方米): its figure is for another matter only where another sentence holds the asked one, two of the
        # question's specific words ("200公里农村公路修建" for the 总投资 of 农村公路修建).
        words = [word for word in specific if not any(word != other and word in other for other in specific)]
        holding = Counter(other for word in words for other in self.corpus.rows_with(word))
        return any(count >= 2 for count in holding.values())

    def _about(self, words: tuple[str, ...]) -> bool:
        """Whether a name (by its Chinese words) is what the corpus is about: one of them in many sentences."""
        return any(self.corpus.sentence_frequency(word) > self._few for word in words)


def _years(text: str, latest: str | None, english: bool = False) -> set[str]:
    """The years `text` names; 今年 (this year) is `latest`, the document's latest year.

    >>> sorted(_years("2022年，大连建成112处；今年再建100处。", "2023")), _years("How many parks this year?", "2023", True)
    (['2022', '2023'], {'2023'})
    >>> _years("累计归集2864.16亿元，2000余人参加。", "2023"), _years("本届总决赛是继1987年以后的又一次对决。", "2023")
    (set(), set())
    """
    years = set((_YEAR_EN_RE if english else _YEAR_RE).findall(text))
    if latest is not None and _THIS_YEAR_RE.search(text):
        years.add(latest)
    return years
