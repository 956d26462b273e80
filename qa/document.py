"""Clean and segment a document into layout units and sentences, each mapped to exact offsets in the source text.

The source is the text as read from its file, never normalised: every `Unit` and `Sentence` carries
`pieces`, the source slices whose concatenation is its `text`. Cleaning only ever *drops* characters
(surrounding whitespace, a romanisation line, the padding space in a two-character name), and a
sentence cut by a page break or a photo caption is rejoined by listing several pieces, so
`source[start:end]` of every piece is exactly what the reader sees.

The layout rules follow a Chinese newspaper page copied as text (headline, byline, "核心提示" lead,
numbered headings, photo captions with credits, a "速览" column of briefs); a text without that
layout (for instance a CMRC paragraph) simply becomes body paragraphs.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, replace

Piece = tuple[int, int]

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
FULL_STOPS = "。！？；"  # always end a sentence
ASCII_STOPS = "!?;"  # end a sentence only before CJK text or at the end, so "v1.0;x" or English stays whole
# A paragraph ending in one of these is complete; "……" counts here although it never splits sentences.
PARAGRAPH_ENDS = FULL_STOPS + ASCII_STOPS + "…"
CLOSERS = "”’」』）)】》"  # stay with the sentence whose terminator they follow
PAIRS = {"“": "”", "‘": "’", "「": "」", "『": "』", "（": "）", "(": ")"}
# A quotation longer than this is split like plain text: it keeps sentences short enough to retrieve.
MAX_QUOTED_CHARS = 120
# A longer run without a sentence end (pasted text, a table) is cut at its last clause mark within this length, else at
# this length, so that no sentence makes retrieval or the reader's windows unbounded (the article's longest is 169).
MAX_SENTENCE_CHARS = 300
CLAUSE_MARKS = "，、：,:"
_NEXT_VISIBLE = re.compile(r"\s*(\S?)")

MAX_HEADLINE_CHARS = 50
MAX_TITLE_CHARS = 30  # numbered headings and brief titles
MAX_HEADER_CHARS = 8  # a column header such as "速览"
LEAD_MARKERS = ("核心提示", "编者按", "内容提要")
BRIEF_HEADERS = frozenset({"速览", "简讯", "快讯", "短讯", "速递"})

# A staff credit: "本报记者 王荣琦 摄", "本报特约记者 王 华 摄".
_CREDIT = rf"(?:本报|新华社)?(?:特约)?(?:摄影)?(?:记者|通讯员)\s*(?P<names>[{CJK}]+(?:\s+[{CJK}]+)*?)\s*摄(?:影)?"
CREDIT_RE = re.compile(_CREDIT)
# The same credit printed at the end of a caption line, after a space or a full stop.
TRAILING_CREDIT_RE = re.compile(rf"(?:\s+|(?<=[。！？]))(?P<credit>{_CREDIT})$")
BYLINE_RE = re.compile(rf"(?:本报|新华社)?(?:特约)?(?:记者|通讯员)\s+(?P<names>[{CJK}]+(?:\s+[{CJK}]+)*)")
HEADING_RE = re.compile(r"(?P<number>\d{1,2})[ \t\u3000]+\S.*")
# The romanisation printed under a column header (" SULAN" under "速览"): decoration, not content.
DECORATION_RE = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_SINGLE_CJK_RE = re.compile(rf"[{CJK}]")
_YEAR_RE = re.compile(r"((?:19|20)\d\d)年")

KINDS = ("headline", "byline", "lead", "heading", "body", "caption", "credit", "brief_header", "brief_title", "brief")
CAPTION_KINDS = frozenset({"caption", "credit"})
# A paragraph that a page break cuts continues in the next paragraph of the same kind.
CONTINUABLE_KINDS = frozenset({"body", "brief"})
# Short lines that a following credit line turns into a caption.
CAPTIONABLE_KINDS = frozenset({"body", "brief", "brief_title"})
# Units that are one sentence whatever their punctuation.
WHOLE_KINDS = frozenset({"headline", "byline", "heading", "caption", "credit", "brief_header", "brief_title"})
# Body and brief paragraphs are numbered together; every other kind on its own.
PARAGRAPH_GROUPS = {"brief": "body"}
FIXED_LOCATIONS = {"headline": "标题", "byline": "署名", "lead": "导语"}
CAPTION_LABELS = {"caption": "图片说明", "credit": "图片署名"}


class Spanned:
    """Offset mapping shared by `Unit` and `Sentence`: `text` is the concatenation of `source[s:e]` over `pieces`."""

    text: str
    pieces: tuple[Piece, ...]

    @property
    def start(self) -> int:
        return self.pieces[0][0]

    @property
    def end(self) -> int:
        return self.pieces[-1][1]

    def source_offset(self, i: int) -> int:
        """The source offset of `text[i]`; `i == len(text)` maps to the end of the last piece.

        >>> s = Sentence(index=0, unit=0, text="大连市共完成", pieces=((10, 13), (20, 23)))
        >>> s.source_offset(3), s.source_offset(6)
        (20, 23)
        """
        if not 0 <= i <= len(self.text):
            raise IndexError(f"offset {i} is outside a text of {len(self.text)} characters")
        if i == len(self.text):
            return self.end
        done = 0
        for s, e in self.pieces:
            if i < done + (e - s):
                return s + (i - done)
            done += e - s
        raise AssertionError("pieces do not add up to text")  # unreachable while the invariant holds

    def text_offset(self, source: int) -> int:
        """The offset in `text` of source offset `source` (the inverse of `source_offset`); a source offset between two
        pieces maps to the start of the next one.

        >>> s = Sentence(index=0, unit=0, text="大连市共完成", pieces=((10, 13), (20, 23)))
        >>> s.text_offset(20), s.text_offset(23), s.text_offset(13)
        (3, 6, 3)
        """
        done = 0
        for s, e in self.pieces:
            if source < e or (source == e and (s, e) == self.pieces[-1]):
                return done + max(0, source - s)
            done += e - s
        raise IndexError(f"source offset {source} is after the text's last piece")

    def source_span(self, i: int, j: int) -> Piece:
        """The source (start, end) of `text[i:j]`; it may enclose dropped characters, see `source_pieces`.

        >>> s = Sentence(index=0, unit=0, text="大连市共完成", pieces=((10, 13), (20, 23)))
        >>> s.source_span(0, 3), s.source_span(1, 5)
        ((10, 13), (11, 22))
        """
        self._check_slice(i, j)
        if i == j:
            return self.source_offset(i), self.source_offset(i)
        return self.source_offset(i), self.source_offset(j - 1) + 1

    def source_pieces(self, i: int, j: int) -> tuple[Piece, ...]:
        """The source slices whose concatenation is `text[i:j]` (what a UI highlights).

        >>> s = Sentence(index=0, unit=0, text="大连市共完成", pieces=((10, 13), (20, 23)))
        >>> s.source_pieces(1, 5)
        ((11, 13), (20, 22))
        """
        self._check_slice(i, j)
        out = []
        done = 0
        for s, e in self.pieces:
            lo, hi = max(i, done), min(j, done + e - s)
            if lo < hi:
                out.append((s + lo - done, s + hi - done))
            done += e - s
        return tuple(out)

    def _check_slice(self, i: int, j: int) -> None:
        if not 0 <= i <= j <= len(self.text):
            raise IndexError(f"slice [{i}:{j}] is not within a text of {len(self.text)} characters")


# Title marks and brackets never split a sentence, but an answer keeps them matched as it keeps quotes matched.
TITLE_PAIRS = {"《": "》", "【": "】", "[": "]"}
SPAN_PAIRS = {**PAIRS, **TITLE_PAIRS}
_SPAN_OPENERS = {closer: opener for opener, closer in SPAN_PAIRS.items()}
# The pairs a span may not start inside (`_after_unmatched_closer`): not the ASCII ones nor ‘ ’, whose closer is as
# often an apostrophe (Rock’n’Roll) or a list's "1)".
_CJK_OPENERS = frozenset(opener for opener in SPAN_PAIRS if not opener.isascii() and opener != "‘")
_CJK_CLOSERS = frozenset(SPAN_PAIRS[opener] for opener in _CJK_OPENERS)
# Punctuation that ends a clause, never an answer.
_SPAN_EDGE_PUNCTUATION = frozenset(FULL_STOPS + ASCII_STOPS + "，、：,.:…—")


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """`text[start:end]` without whitespace, sentence punctuation or unmatched quotes and brackets at its edges.

    An answer is a phrase, not the end of a clause: "300米见绿、500米进园”，" -> "300米见绿、500米进园", while a
    quoted name keeps its quotes. Nor does it start inside a quoted name or a bracket: it starts after it
    ("嫂评理说事室”发挥…" -> "发挥…"). An empty span (start == end) when nothing but punctuation is left.

    >>> text = "实现“300米见绿、500米进园”，让市民"
    >>> [text[slice(*trim_span(text, i, j))] for i, j in [(3, 17), (2, 17), (2, 16)]]
    ['300米见绿、500米进园', '“300米见绿、500米进园”', '300米见绿、500米进园']
    >>> text = "在旅顺口区，“巧嫂评理说事室”发挥女楼长嘴巧会说等优势，通过“开门说事”"
    >>> text[slice(*trim_span(text, 8, 27))]
    '发挥女楼长嘴巧会说等优势'
    >>> trim_span("。", 0, 1)
    (1, 1)
    """
    while True:
        before = (start, end)
        while start < end and (text[start].isspace() or text[start] in _SPAN_EDGE_PUNCTUATION):
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in _SPAN_EDGE_PUNCTUATION):
            end -= 1
        span = text[start:end]
        if start < end and span[0] in SPAN_PAIRS and SPAN_PAIRS[span[0]] not in span:
            start += 1
        if start < end and span[-1] in _SPAN_OPENERS and _SPAN_OPENERS[span[-1]] not in span:
            end -= 1
        if (start, end) == before:
            start += _after_unmatched_closer(span)
        if (start, end) == before:
            return start, end


def _after_unmatched_closer(span: str) -> int:
    """Where `span` starts after its last closing quote or bracket that closes nothing in it (0 if none closes
    nothing): the span started inside a quoted name (`_CJK_CLOSERS` only). A span may end inside a quotation or
    bracket: CMRC's annotators end answers so ("草蓬（台湾")."""
    start, openers = 0, []
    for index, char in enumerate(span):
        if char in _CJK_OPENERS:
            openers.append(char)
        elif char in _CJK_CLOSERS:
            if openers and openers[-1] == _SPAN_OPENERS[char]:
                openers.pop()
            else:
                start, openers = index + 1, []
    return start


@dataclass(frozen=True)
class Unit(Spanned):
    """A paragraph-level block of the page, possibly joined across a page break."""

    index: int
    kind: str  # one of KINDS
    text: str
    pieces: tuple[Piece, ...]
    section: str  # heading text; "" before the first heading; "速览 · <brief title>" for briefs
    section_no: int | None  # the number printed in a numbered heading, else None
    paragraph: int  # 1-based among units of the same group (body and briefs together) in its section


@dataclass(frozen=True)
class Sentence(Spanned):
    """A sentence of one unit; its pieces lie inside the unit's pieces."""

    index: int
    unit: int  # index into Document.units
    text: str
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class Document:
    """A segmented document: units and sentences in source order, all indexing `source`."""

    doc_id: str
    source: str
    units: tuple[Unit, ...]
    sentences: tuple[Sentence, ...]

    @functools.cached_property
    def latest_year(self) -> str | None:
        """The latest year the document names ("2023" in the article): the year a report's 今年 means; None if none.

        >>> parse_document("2022年建成112处，2023年再建100处。").latest_year
        '2023'
        """
        years = _YEAR_RE.findall(self.source)
        return max(years) if years else None

    def __repr__(self) -> str:
        # The default repr prints the whole article into every failing assertion.
        counts = f"{len(self.source)} chars, {len(self.units)} units, {len(self.sentences)} sentences"
        return f"Document(doc_id={self.doc_id!r}, {counts})"

    def unit_of(self, sentence: Sentence) -> Unit:
        return self.units[sentence.unit]

    def location(self, unit: Unit) -> str:
        """Where a unit sits, for people: "标题", "导语", "第1部分 · 第3段", "第2部分 · 图片说明", "速览 · … · 第1段", "第3段"."""
        if unit.kind in FIXED_LOCATIONS:
            return FIXED_LOCATIONS[unit.kind]
        if unit.kind in ("brief_header", "brief_title"):
            return unit.section
        part = f"第{unit.section_no}部分" if unit.section_no is not None else unit.section
        if unit.kind == "heading":
            return f"{part} · 小标题"
        if unit.kind in CAPTION_LABELS:
            label = CAPTION_LABELS[unit.kind]
            siblings = sum(1 for u in self.units if u.kind == unit.kind and u.section == unit.section)
            if siblings > 1:
                label = f"第{unit.paragraph}幅{label}"
            return f"{part} · {label}" if part else label
        return f"{part} · 第{unit.paragraph}段" if part else f"第{unit.paragraph}段"


@dataclass(frozen=True)
class _Block:
    """A unit under construction: its kind, source pieces and heading number."""

    kind: str
    pieces: tuple[Piece, ...]
    number: int | None = None


def parse_document(text: str, doc_id: str = "article") -> Document:
    """Segment `text` into units and sentences; an empty or blank text gives a document without units.

    >>> doc = parse_document("标题\\n\\n正文第一句。第二句\\n\\n接着说完。")
    >>> [(u.kind, u.text) for u in doc.units]
    [('headline', '标题'), ('body', '正文第一句。第二句接着说完。')]
    >>> [s.text for s in doc.sentences]
    ['标题', '正文第一句。', '第二句接着说完。']
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_document needs a str, got {type(text).__name__}")
    blocks = _join_page_breaks(text, _classify(text, _lines(text)))
    units = _number_units(text, blocks)
    sentences: list[Sentence] = []
    for unit in units:
        spans = [(0, len(unit.text))] if unit.kind in WHOLE_KINDS else split_sentences(unit.text)
        for i, j in spans:
            sentences.append(Sentence(len(sentences), unit.index, unit.text[i:j], unit.source_pieces(i, j)))
    return Document(doc_id, text, tuple(units), tuple(sentences))


def split_sentences(text: str) -> list[Piece]:
    """(start, end) offsets of the sentences of `text`, trimmed of surrounding whitespace.

    A sentence ends at 。！？； (ASCII !?; only before CJK text or at the end), together with any run of
    further terminators and closing quotes/brackets. A terminator inside a balanced quotation or bracket
    does not end the sentence, so a quote stays with its attribution ("“……。”居民王伟说。" is one
    sentence), unless the quotation is longer than MAX_QUOTED_CHARS. "……" never ends a sentence: in
    news copy it closes an enumeration that the same sentence goes on to sum up ("……今年，大连市…").

    >>> t = "“别看面积不大。真上心！”居民王伟说。城市的形象；关乎幸福感……今年，完成了"
    >>> [t[i:j] for i, j in split_sentences(t)]
    ['“别看面积不大。真上心！”居民王伟说。', '城市的形象；', '关乎幸福感……今年，完成了']
    """
    quoted = _quoted_mask(text)
    spans: list[Piece] = []
    begin = 0
    i = 0
    while i < len(text):
        if quoted[i] or not _is_stop(text, i):
            i += 1
            continue
        i += 1
        while i < len(text) and (text[i] in CLOSERS or _is_stop(text, i)):
            i += 1
        spans.append((begin, i))
        begin = i
    spans.append((begin, len(text)))
    trimmed = (_trim(text, i, j) for start, end in spans for i, j in _capped(text, start, end))
    return [span for span in trimmed if span is not None]


def _capped(text: str, start: int, end: int) -> list[Piece]:
    """`text[start:end]` in pieces of at most MAX_SENTENCE_CHARS, each ending at a clause mark where one is near.

    >>> [len(piece) for piece in (("口袋公园，" * 70)[i:j] for i, j in _capped("口袋公园，" * 70, 0, 350))]
    [300, 50]
    """
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        mark = max(text.rfind(char, start, limit) for char in CLAUSE_MARKS)
        cut = mark + 1 if mark > start else limit
        pieces.append((start, cut))
        start = cut
    return [*pieces, (start, end)]


def _is_stop(text: str, i: int) -> bool:
    char = text[i]
    if char in FULL_STOPS:
        return True
    if char not in ASCII_STOPS:
        return False
    following = _NEXT_VISIBLE.match(text, i + 1).group(1)  # not a slice of the rest: that made long texts quadratic
    return not following or following in CLOSERS or _SINGLE_CJK_RE.match(following) is not None


def _quoted_mask(text: str) -> list[bool]:
    """True for characters strictly inside a balanced quotation or bracket (unbalanced openers protect nothing)."""
    mask = [False] * len(text)
    stack: list[tuple[str, int]] = []
    for i, char in enumerate(text):
        if char in PAIRS:
            stack.append((char, i))
        elif any(PAIRS[opener] == char for opener, _ in stack):
            # Pop to the matching opener, discarding openers that were never closed inside it.
            while PAIRS[stack[-1][0]] != char:
                stack.pop()
            _, start = stack.pop()
            if i - start - 1 <= MAX_QUOTED_CHARS:
                mask[start + 1 : i] = [True] * (i - start - 1)
    return mask


def strip_whitespace(text: str, i: int, j: int) -> tuple[int, int]:
    """`text[i:j]` without whitespace at its edges (the reader's "▁" tokens and some gold answers carry it too).

    >>> strip_whitespace("会议由 张三 主持", 3, 7)
    (4, 6)
    """
    while i < j and text[i].isspace():
        i += 1
    while j > i and text[j - 1].isspace():
        j -= 1
    return i, j


def _trim(text: str, i: int, j: int) -> Piece | None:
    """`(i, j)` without surrounding whitespace, or None when nothing is left."""
    i, j = strip_whitespace(text, i, j)
    return (i, j) if i < j else None


def _lines(source: str) -> list[Piece]:
    """The non-blank lines of `source`, trimmed of surrounding whitespace (so "\\r" and "\\u3000" indents go too)."""
    trimmed = (_trim(source, m.start(), m.end()) for m in re.finditer(r"[^\n]+", source))
    return [line for line in trimmed if line is not None]


def _is_title_like(line: str, max_chars: int) -> bool:
    """A short line with no sentence punctuation: a headline, heading, brief title or column header."""
    return len(line) <= max_chars and not any(c in PARAGRAPH_ENDS for c in line)


def _ends_sentence(text: str) -> bool:
    """Whether a paragraph ends a sentence; one that does not was cut by a page break."""
    body = text.rstrip(CLOSERS)
    return bool(body) and body[-1] in PARAGRAPH_ENDS


def _is_decoration(line: str, previous: str | None) -> bool:
    """A line of Latin capitals right under a short header line (its romanisation)."""
    if previous is None or not _is_title_like(previous, MAX_HEADER_CHARS):
        return False
    return DECORATION_RE.fullmatch(line) is not None


def _classify(source: str, lines: list[Piece]) -> list[_Block]:
    """One block per non-blank line, with its layout kind; decoration lines are dropped."""
    texts = [source[s:e] for s, e in lines]
    blocks: list[_Block] = []
    in_briefs = False
    for k, (s, e) in enumerate(lines):
        line = texts[k]
        previous = texts[k - 1] if k > 0 else None
        following = texts[k + 1] if k + 1 < len(texts) else None
        if _is_decoration(line, previous):
            continue
        heading = HEADING_RE.fullmatch(line)
        trailing_credit = TRAILING_CREDIT_RE.search(source, s, e)
        if k == 0 and following is not None and _is_title_like(line, MAX_HEADLINE_CHARS):
            blocks.append(_Block("headline", ((s, e),)))
        elif blocks and blocks[-1].kind == "headline" and (m := BYLINE_RE.fullmatch(source, s, e)):
            blocks.append(_Block("byline", _unpad_names(source, s, e, m.span("names"))))
        elif m := CREDIT_RE.fullmatch(source, s, e):
            # A credit line names the photo whose caption is the paragraph just above it.
            if blocks and blocks[-1].kind in CAPTIONABLE_KINDS:
                blocks[-1] = replace(blocks[-1], kind="caption")
            blocks.append(_Block("credit", _unpad_names(source, s, e, m.span("names"))))
        elif heading is not None and _is_title_like(line, MAX_TITLE_CHARS):
            blocks.append(_Block("heading", ((s, e),), int(heading["number"])))
            in_briefs = False
        elif _is_title_like(line, MAX_HEADER_CHARS) and (
            line in BRIEF_HEADERS or (following is not None and _is_decoration(following, line))
        ):
            blocks.append(_Block("brief_header", ((s, e),)))
            in_briefs = True
        elif line.startswith(LEAD_MARKERS):
            blocks.append(_Block("lead", ((s, e),)))
        elif trailing_credit is not None:
            caption_end = trailing_credit.start()
            while source[caption_end - 1].isspace():
                caption_end -= 1
            credit_start = trailing_credit.start("credit")
            blocks.append(_Block("caption", ((s, caption_end),)))
            blocks.append(_Block("credit", _unpad_names(source, credit_start, e, trailing_credit.span("names"))))
        elif in_briefs:
            blocks.append(_Block("brief_title" if _is_title_like(line, MAX_TITLE_CHARS) else "brief", ((s, e),)))
        else:
            blocks.append(_Block("body", ((s, e),)))
    return blocks


def _unpad_names(source: str, start: int, end: int, names: Piece) -> tuple[Piece, ...]:
    """Pieces of source[start:end] without the space that pads two-character names ("吕 丽" -> "吕丽").

    Newspapers pad a two-character name to the width of three; runs of single-character tokens in the
    names part are therefore joined in pairs, and every other space is kept.
    """
    tokens = [m.span() for m in re.finditer(r"\S+", source[names[0] : names[1]])]
    tokens = [(names[0] + s, names[0] + e) for s, e in tokens]
    gaps: list[Piece] = []
    run: list[Piece] = []
    for token in tokens + [(end, end + 2)]:  # a two-wide sentinel closes the last run
        if token[1] - token[0] == 1 and _SINGLE_CJK_RE.match(source[token[0]]):
            run.append(token)
            continue
        gaps.extend((run[m][1], run[m + 1][0]) for m in range(0, len(run) - 1, 2))
        run = []
    pieces = []
    cursor = start
    for gap_start, gap_end in gaps:
        pieces.append((cursor, gap_start))
        cursor = gap_end
    pieces.append((cursor, end))
    return tuple(pieces)


def _join_page_breaks(source: str, blocks: list[_Block]) -> list[_Block]:
    """Join each body/brief paragraph that stops mid-sentence with the next paragraph of its kind.

    Between the two halves there may be photo captions and credits (the page break put them there);
    anything else, such as a heading, means the paragraph really ends there.
    """
    joined: list[_Block] = []
    absorbed: set[int] = set()
    for i, block in enumerate(blocks):
        if i in absorbed:
            continue
        last = i
        while block.kind in CONTINUABLE_KINDS and not _ends_sentence(_text(source, block.pieces)):
            nxt = last + 1
            while nxt < len(blocks) and blocks[nxt].kind in CAPTION_KINDS:
                nxt += 1
            if nxt == len(blocks) or blocks[nxt].kind != block.kind:
                break
            block = replace(block, pieces=block.pieces + blocks[nxt].pieces)
            absorbed.add(nxt)
            last = nxt
        joined.append(block)
    return joined


def _number_units(source: str, blocks: list[_Block]) -> list[Unit]:
    """Give each block its section, heading number and paragraph number."""
    units: list[Unit] = []
    section, section_no, briefs = "", None, ""
    counts: Counter[str] = Counter()
    for index, block in enumerate(blocks):
        text = _text(source, block.pieces)
        if block.kind == "heading":
            section, section_no = text, block.number
            counts.clear()
        elif block.kind == "brief_header":
            section, section_no, briefs = text, None, text
            counts.clear()
        elif block.kind == "brief_title":
            section = f"{briefs} · {text}"
            counts.clear()
        group = PARAGRAPH_GROUPS.get(block.kind, block.kind)
        counts[group] += 1
        units.append(Unit(index, block.kind, text, block.pieces, section, section_no, counts[group]))
    return units


def _text(source: str, pieces: tuple[Piece, ...]) -> str:
    return "".join(source[s:e] for s, e in pieces)
