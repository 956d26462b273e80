"""The extractive reader: question/passage windows, span decoding with a no-answer score, and `OnnxReader`.

No torch here: the reader that answers questions runs on ONNX Runtime; the same weights on torch
(`qa.build.span_model.TorchReader`) are what training scores and what `qa.build.export` checks the export against. Both
cut windows and decode spans with these functions, so the shipped reader sees the windows it was trained on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.document import strip_whitespace
from qa.encoder import OnnxEncoder
from qa.errors import EmptyQuestionError, ReaderUnavailableError
from qa.onnx_runtime import INPUTS, READER_FILE, READER_INT8_FILE, RECORD, exact_int8_products, pad_batch, session
from qa.tokenization import Tokenizer, load_tokenizer

NULL_INDEX = 0  # the <s> token: start and end on it mean "no answer here" (as SQuAD 2.0 BERT does)
_CANDIDATES_PER_WINDOW = 20  # best (start, end) pairs kept from each window before merging


@dataclass(frozen=True)
class WindowSettings:
    """How a question and a passage are cut into encoder windows; fixed at training time.

    Each window holds the question, then a slice of the passage; slices of one passage overlap
    by `stride` tokens, so an answer cut at the edge of one window is whole in the next.
    """

    max_seq_len: int
    stride: int
    max_question_tokens: int

    def __post_init__(self) -> None:
        room = self.max_seq_len - self.max_question_tokens - 4  # <s> q </s></s> passage </s>
        if self.stride < 0 or room <= self.stride:
            raise ValueError(f"{self}: the passage part of a window ({room} tokens) must exceed the stride")


@dataclass(frozen=True)
class Windows:
    """Encoder windows of (question, passage slice) pairs, unpadded.

    `passage_of[w]` is the pair window w came from; `sequence_ids[w][t]` is 1 for passage tokens (0 for the
    question, None for special tokens); `offsets[w][t]` is token t's (start, end) in its own text.
    """

    input_ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]
    sequence_ids: list[list[int | None]]
    passage_of: list[int]
    pad_id: int

    def __len__(self) -> int:
        return len(self.input_ids)

    def batch(self) -> tuple[np.ndarray, np.ndarray]:
        """(input_ids, attention_mask) as int64 arrays, padded to the longest window."""
        return pad_batch(self.input_ids, self.pad_id)


@dataclass(frozen=True)
class ReaderSpan:
    """A candidate answer with `passages[passage][start:end] == text`; `score` is its start + end logit."""

    passage: int
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class ReaderResult:
    """What the reader makes of one question over some passages.

    `spans`: distinct candidates, best first. `null_score`: the SQuAD 2.0 "no answer" score,
    the <s> start + end logit of the window most willing to answer (the lowest across windows).
    `probability`: the softmax share of the best span among {each passage's best span score,
    `null_score`}; near 1 when one passage clearly holds the answer, low when the reader prefers
    "no answer" or hesitates between passages. 0 when there is no span at all.
    """

    spans: tuple[ReaderSpan, ...]
    null_score: float
    probability: float

    @property
    def best(self) -> ReaderSpan | None:
        return self.spans[0] if self.spans else None

    def probability_of(self, span: ReaderSpan) -> float:
        """The softmax share of one of `spans` in the same pool as `probability` (the best span's share).

        >>> best, next_ = ReaderSpan(0, 0, 4, "3月1日，", 2.0), ReaderSpan(0, 0, 3, "3月1日", 1.0)
        >>> round(ReaderResult((best, next_), null_score=0.0, probability=0.8).probability_of(next_), 3)
        0.294
        """
        return self.probability * math.exp(span.score - self.spans[0].score)

    def margin_of(self, span: ReaderSpan) -> float:
        """How far one of `spans` beats "no answer", in logits (SQuAD 2.0's score difference: span score minus
        `null_score`). `probability` saturates where this keeps rising: a margin of 5 is a share of 0.99 already.

        >>> ReaderResult((ReaderSpan(0, 0, 4, "3月1日", 6.5),), null_score=2.5, probability=0.98).margin_of(
        ...     ReaderSpan(0, 0, 4, "3月1日", 6.5))
        4.0
        """
        return span.score - self.null_score


def clip_question(tokenizer: Tokenizer, question: str, max_tokens: int) -> str:
    """The question cut after its first `max_tokens` tokens, so a long question cannot crowd out the passage.

    >>> clip_question(tokenizer, "大连市2023年新建了多少所幼儿园？", 3)  # doctest: +SKIP
    '大连市2023'
    """
    offsets = tokenizer.pieces(question)[1]
    if len(offsets) <= max_tokens:
        return question
    return question[: offsets[max_tokens - 1][1]]


def encode_windows(tokenizer: Tokenizer, questions: list[str], passages: list[str], window: WindowSettings) -> Windows:
    """Windows of (question, passage slice) pairs with character offsets; training and reading use this one function."""
    clipped = {q: tokenizer.pieces(clip_question(tokenizer, q, window.max_question_tokens)) for q in set(questions)}
    pieces = [
        (pair, piece)
        for pair, (question, passage) in enumerate(zip(questions, passages))
        for piece in tokenizer.pairs(clipped[question], passage, window.max_seq_len, window.stride)
    ]
    return Windows(
        input_ids=[piece.ids for _, piece in pieces],
        offsets=[piece.offsets for _, piece in pieces],
        sequence_ids=[piece.sequence_ids for _, piece in pieces],
        passage_of=[pair for pair, _ in pieces],
        pad_id=tokenizer.pad_id,
    )


def _window_candidates(
    start: np.ndarray, end: np.ndarray, offsets: list, sequence_ids: list, max_answer_chars: int
) -> list[tuple[float, int, int]]:
    """The best (score, char start, char end) spans of one window, over passage tokens only."""
    tokens = np.array([t for t, seq in enumerate(sequence_ids) if seq == 1])
    if tokens.size == 0:
        return []
    char_start = np.array([offsets[t][0] for t in tokens])
    char_end = np.array([offsets[t][1] for t in tokens])
    scores = start[tokens][:, None] + end[tokens][None, :]
    length = char_end[None, :] - char_start[:, None]
    valid = np.triu(np.ones_like(scores, dtype=bool)) & (length > 0) & (length <= max_answer_chars)
    scores = np.where(valid, scores, -np.inf)
    flat = scores.ravel()
    k = min(_CANDIDATES_PER_WINDOW, int(valid.sum()))
    if k == 0:
        return []
    best = np.argpartition(-flat, k - 1)[:k]
    rows, cols = np.unravel_index(best, scores.shape)
    return [(float(flat[i]), int(char_start[r]), int(char_end[c])) for i, r, c in zip(best, rows, cols)]


def decode_spans(
    windows: Windows,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    passages: list[str],
    top_n: int,
    max_answer_chars: int,
) -> ReaderResult:
    """Merge the windows of one question into distinct spans, the null score and a probability."""
    best: dict[tuple[int, int, int], float] = {}
    null_scores = []
    for w in range(len(windows)):
        p = windows.passage_of[w]
        null_scores.append(float(start_logits[w, NULL_INDEX] + end_logits[w, NULL_INDEX]))
        found = _window_candidates(
            start_logits[w], end_logits[w], windows.offsets[w], windows.sequence_ids[w], max_answer_chars
        )
        for score, s, e in found:
            s, e = strip_whitespace(passages[p], s, e)
            if s < e and score > best.get((p, s, e), -np.inf):  # overlapping windows repeat spans
                best[(p, s, e)] = score
    ranked = sorted(best.items(), key=lambda item: -item[1])
    spans = tuple(ReaderSpan(p, s, e, passages[p][s:e], score) for (p, s, e), score in ranked[:top_n])
    null_score = min(null_scores) if null_scores else 0.0
    if not spans:
        return ReaderResult(spans=(), null_score=null_score, probability=0.0)
    per_passage: dict[int, float] = {}
    for (p, _, _), score in ranked:
        per_passage.setdefault(p, score)  # ranked, so the first seen is the passage's best
    pool = np.array([*per_passage.values(), null_score])
    probability = float(np.exp(spans[0].score - pool.max()) / np.exp(pool - pool.max()).sum())
    return ReaderResult(spans=spans, null_score=null_score, probability=probability)


class SpanReader:
    """Finds answer spans for a question in a few passages; subclasses compute the start/end logits.

    >>> result = reader.read("大连新建了多少所幼儿园？", ["2023年，大连新建幼儿园12所。"])  # doctest: +SKIP
    >>> result.best.text, round(result.probability, 2)  # doctest: +SKIP
    ('12所', 0.97)
    """

    def __init__(self, tokenizer: Tokenizer, window: WindowSettings) -> None:
        self.tokenizer = tokenizer
        self.window = window

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(start_logits, end_logits), float32 (windows, tokens); padding far below any real token."""
        raise NotImplementedError

    def joined_question(self, question: str, terms: str) -> str:
        """`question`, then `terms`, the question cut so that both fit the window's question tokens: the terms (the
        passage's words for an English question's words) say what to find, so a long question must not clip them away.

        >>> reader.joined_question("How many pocket parks did Dalian build?", "大连 口袋 公园 多少？")  # doctest: +SKIP
        'How many pocket parks did Dalian build? 大连 口袋 公园 多少？'
        """
        room = self.window.max_question_tokens - len(self.tokenizer.pieces(f" {terms}")[0])
        if room < 1:
            return clip_question(self.tokenizer, terms, self.window.max_question_tokens)
        return f"{clip_question(self.tokenizer, question, room)} {terms}"

    def read(self, question: str, passages: list[str], top_n: int = 5, max_answer_chars: int = 30) -> ReaderResult:
        """Read every passage (in windows if long) in one batch; spans index into their own passage.

        >>> result = reader.read("谁主持会议？", ["会议由张三主持。", "天气很好。"])  # doctest: +SKIP
        >>> result.best.passage, result.best.text  # doctest: +SKIP
        (0, '张三')
        """
        if not question.strip():
            raise EmptyQuestionError("the question is empty")
        if not passages:
            raise ValueError("passages is empty: give the reader at least one passage")
        if top_n < 1 or max_answer_chars < 1:
            raise ValueError(f"top_n ({top_n}) and max_answer_chars ({max_answer_chars}) must be at least 1")
        windows = encode_windows(self.tokenizer, [question] * len(passages), passages, self.window)
        start, end = self.logits(*windows.batch())
        return decode_spans(windows, start, end, passages, top_n, max_answer_chars)


class OnnxReader(SpanReader):
    """The shipped reader exported to ONNX; reads as `qa.build.span_model.TorchReader` does (same windows, same decoding).

    >>> reader = OnnxReader.load(folder, embedder.word_embeddings)  # doctest: +SKIP
    >>> reader.read("谁主持会议？", ["会议由张三主持。"]).best.text  # doctest: +SKIP
    '张三'
    """

    def __init__(
        self, graph: Path, tokenizer: Tokenizer, window: WindowSettings, table: np.ndarray, identity: dict | None = None
    ) -> None:
        super().__init__(tokenizer, window)
        self._session = session(graph)
        self.graph = Path(graph)
        self.table = table
        self.identity = identity  # the weights' and the graph's sha256, as its folder's record gives them

    @classmethod
    def load(cls, folder: Path, table: np.ndarray, quantized: bool = False, encoder: OnnxEncoder | None = None) -> OnnxReader:
        """The reader in `folder` (see `qa.model_registry.reader_dir`) over the encoder's word-embedding table: the
        int8 graph when `quantized`, its export check passed and the CPU multiplies int8 exactly
        (`qa.onnx_runtime.exact_int8_products`), else the float32 one. Given the `qa.encoder.OnnxEncoder` it was
        exported beside, it shares its tokenizer (the same pieces)."""
        folder = Path(folder)
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            tokenizer = encoder.tokenizer if encoder is not None else load_tokenizer(folder)
            quantized = quantized and record.get("int8", {}).get("passed", False) and exact_int8_products()
            graph = folder / (READER_INT8_FILE if quantized else READER_FILE)
            identity = {"weights_sha256": record["weights_sha256"], "graph": graph.name,
                        "graph_sha256": record["sha256"][graph.name]}
            return cls(graph, tokenizer, WindowSettings(**record["window"]), table, identity)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReaderUnavailableError(f"{folder} cannot be loaded ({error}); delete it to rebuild it") from error

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = self._session.run(None, dict(zip(INPUTS, (self.table[input_ids], attention_mask))))
        return start, end
