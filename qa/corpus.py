"""The searchable corpus: one or more segmented documents flattened into a list of sentences (rows)."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
from dataclasses import dataclass

from qa.article import text_sha256
from qa.document import Document, Sentence, Unit

# Recorded in the index metadata: a change here (or in the segmentation) makes old indexes stale.
PASSAGE_FORMAT = "sentence"
# The checks that read an answer's paragraph read at most this much of it (`Corpus.paragraph_around`): more than any
# paragraph of the article or of CMRC 2018 (under 1,000), so only a pasted text without paragraph breaks is cut.
CONTEXT_CHARS = 2000


@dataclass(frozen=True)
class Row:
    """One retrievable sentence: where it sits in which document."""

    document: Document
    sentence: Sentence

    @property
    def unit(self) -> Unit:
        return self.document.unit_of(self.sentence)


@dataclass(frozen=True)
class JoinedPassage:
    """The sentences of some rows joined into one text; row `rows[i]` covers `text[starts[i]:ends[i]]`."""

    text: str
    rows: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def locate(self, start: int, end: int) -> tuple[int, int, int] | None:
        """(row, start, end) of a passage span inside one row's sentence; None when it runs across sentences.

        >>> passage = JoinedPassage("大连建成112处。", (7, 9), (0, 4), (4, 9))
        >>> passage.locate(4, 8), passage.locate(2, 6)
        ((9, 0, 4), None)
        """
        for row, a, b in zip(self.rows, self.starts, self.ends):
            if a <= start and end <= b:
                return row, start - a, end - a
        return None


class Corpus:
    """Sentences of several documents, addressed by row number (the row of the FAISS and BM25 indexes)."""

    def __init__(self, documents: list[Document]):
        ids = [d.doc_id for d in documents]
        if len(set(ids)) != len(ids):
            raise ValueError(f"document ids must be unique, got {ids!r}")
        self.documents = documents
        self.rows = [Row(d, s) for d in documents for s in d.sentences]
        self._rows_with: dict[str, frozenset[int]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def passages(self) -> list[str]:
        """What is embedded and keyword-indexed for each row."""
        return [row.sentence.text for row in self.rows]

    @functools.cached_property
    def sha256(self) -> str:
        """Identity of the documents' texts (one document: the sha256 of its text)."""
        if len(self.documents) == 1:
            return text_sha256(self.documents[0].source)
        digest = hashlib.sha256()
        for d in self.documents:
            digest.update(f"{d.doc_id}\0{text_sha256(d.source)}\n".encode())
        return digest.hexdigest()

    @functools.cached_property
    def chunking(self) -> dict:
        """Chunking settings for the index metadata, with a fingerprint of the segmentation itself."""
        layout = [(r.document.doc_id, r.sentence.pieces) for r in self.rows]
        fingerprint = hashlib.sha256(json.dumps(layout).encode()).hexdigest()
        return {"passage": PASSAGE_FORMAT, "sentences": len(self.rows), "segmentation_sha256": fingerprint}

    def joined_passages(self, rows: list[int]) -> list[JoinedPassage]:
        """The sentences of `rows` joined in document order, one passage per document (documents by best row)."""
        by_document: dict[str, list[int]] = {}
        for row in rows:
            by_document.setdefault(self.rows[row].document.doc_id, []).append(row)
        passages = []
        for group in by_document.values():
            group = sorted(group)  # rows follow the documents' sentence order
            texts = [self.rows[row].sentence.text for row in group]
            ends = tuple(itertools.accumulate(len(text) for text in texts))
            starts = tuple(end - len(text) for end, text in zip(ends, texts))
            passages.append(JoinedPassage("".join(texts), tuple(group), starts, ends))
        return passages

    def joined_paragraphs(self, rows: list[int], budget: int) -> list[JoinedPassage]:
        """The whole paragraphs (units) of `rows`, best row first while their characters fit `budget` (the first
        always), joined as `joined_passages` joins sentences: the reader reads the answer's sentence in its context."""
        chosen: list[int] = []
        seen: set[tuple[str, int]] = set()
        size = 0
        for row in rows:
            document = self.rows[row].document
            key = (document.doc_id, self.rows[row].sentence.unit)
            if key in seen:
                continue
            unit_rows = self._unit_rows[key]
            length = sum(len(self.rows[r].sentence.text) for r in unit_rows)
            if length > budget:  # a paragraph longer than the budget (a pasted text): the sentence and its neighbours
                unit_rows = self._around(row, unit_rows, budget)
                length = sum(len(self.rows[r].sentence.text) for r in unit_rows)
            if chosen and size + length > budget:
                continue
            seen.add(key)
            chosen += unit_rows
            size += length
        return self.joined_passages(chosen)

    def paragraph_around(self, row: int, budget: int = CONTEXT_CHARS) -> str:
        """The text of the paragraph of `row`; of a paragraph longer than `budget`, the sentence and its neighbours
        within it (a pasted text without paragraph breaks is read around the sentence, not whole, on every answer)."""
        unit = self.rows[row].unit
        if len(unit.text) <= budget:
            return unit.text
        rows = self._around(row, self._unit_rows[(self.rows[row].document.doc_id, self.rows[row].sentence.unit)], budget)
        return "".join(self.rows[r].sentence.text for r in rows)

    def _around(self, row: int, unit_rows: list[int], budget: int) -> list[int]:
        """`row` and the sentences next to it in `unit_rows`, alternately after and before, while within `budget`."""
        at = unit_rows.index(row)
        first, last = at, at
        size = len(self.rows[row].sentence.text)
        while True:
            grown = False
            for candidate in (last + 1, first - 1):
                if 0 <= candidate < len(unit_rows):
                    length = len(self.rows[unit_rows[candidate]].sentence.text)
                    if size + length <= budget:
                        first, last, size, grown = min(first, candidate), max(last, candidate), size + length, True
            if not grown:
                return unit_rows[first : last + 1]

    @functools.cached_property
    def _unit_rows(self) -> dict[tuple[str, int], list[int]]:
        by_unit: dict[tuple[str, int], list[int]] = {}
        for index, row in enumerate(self.rows):
            by_unit.setdefault((row.document.doc_id, row.sentence.unit), []).append(index)
        return by_unit

    def idf(self, word: str) -> float:
        """Inverse sentence frequency of `word` (substring match, so segmentation differences do not matter).

        A word the corpus never contains gets the highest weight: a question about it cannot be answered here.
        """
        return math.log(1.0 + len(self.rows) / (self.sentence_frequency(word) + 0.5))

    def sentence_frequency(self, word: str) -> int:
        """How many sentences contain `word`."""
        return len(self.rows_with(word))

    def rows_with(self, word: str) -> frozenset[int]:
        """The rows whose sentence contains `word` (a substring), found once per word."""
        if word not in self._rows_with:
            self._rows_with[word] = frozenset(i for i, row in enumerate(self.rows) if word in row.sentence.text)
        return self._rows_with[word]
