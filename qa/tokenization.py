"""The e5 tokenizer as answering and training use it: XLM-R's SentencePiece unigram model, with character offsets.

A model folder holds it as `tokenizer.model` (`qa.build.e5_weights.sentencepiece_model`): the pieces, scores and
normalisation table of the folder's fast tokenizer (`tokenizer.json`, kept for sentence-transformers), loaded in a
fraction of its memory and time (docs/benchmark.md). The two give the same ids and offsets except after runs of
whitespace, at trailing whitespace (the fast tokenizer adds a metaspace) and inside characters that normalise to
several (℃); `tests/test_tokenization.py` and the reader's window tests compare them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

TOKENIZER_FILE = "tokenizer.json"  # the fast tokenizer of the converted model (sentence-transformers reads it)
SENTENCEPIECE_FILE = "tokenizer.model"  # what answering and training read
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
MAX_SEQ_LENGTH = 512
METASPACE = "▁"


@dataclass(frozen=True)
class Encoding:
    """One tokenised sequence: ids, each token's (start, end) characters in its own text ((0, 0) for special tokens),
    and which text of a pair it comes from (0 question, 1 passage, None special)."""

    ids: list[int]
    offsets: list[tuple[int, int]]
    sequence_ids: list[int | None]


class Tokenizer:
    """XLM-R's tokenization: `<s> text </s>` for one text, `<s> question </s></s> passage </s>` for a pair. Stateless,
    so encoder and reader share one from any thread."""

    def __init__(self, path: Path) -> None:
        import sentencepiece

        self._model = sentencepiece.SentencePieceProcessor(model_file=str(path))
        self.bos_id, self.eos_id, self.pad_id = self._model.bos_id(), self._model.eos_id(), self._model.pad_id()

    @property
    def vocab_size(self) -> int:
        return self._model.get_piece_size()

    def pieces(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """The ids of `text` without special tokens, and each one's (start, end) characters in `text`.

        As the fast tokenizer does, a leading metaspace of its own is given the first character.
        """
        proto = self._model.encode(text, return_type="proto")
        ids = [piece.id for piece in proto.pieces]
        starts = _char_starts(text)
        offsets = [
            (bisect.bisect_left(starts, piece.begin), bisect.bisect_left(starts, piece.end)) for piece in proto.pieces
        ]
        if proto.pieces and proto.pieces[0].piece.startswith(METASPACE):
            offsets[0] = (0, max(offsets[0][1], 1))
        return ids, offsets

    def encode(self, texts: list[str], max_tokens: int) -> list[list[int]]:
        """Each text's ids between `<s>` and `</s>`, its first `max_tokens` - 2 pieces kept (as sentence-transformers
        truncates)."""
        keep = max(max_tokens - 2, 0)
        return [[self.bos_id, *ids[:keep], self.eos_id] for ids in self._model.encode(texts)]

    def clip(self, ids: list[int], max_tokens: int) -> list[int]:
        """An `encode` result cut to its first `max_tokens` - 1 ids and its `</s>`, as `encode` with `max_tokens` gives.

        >>> tokenizer.clip([0, 5, 6, 7, 2], 4)  # doctest: +SKIP
        [0, 5, 6, 2]
        """
        return ids if len(ids) <= max_tokens else [*ids[: max_tokens - 1], self.eos_id]

    def pairs(
        self, question: tuple[list[int], list[tuple[int, int]]], passage: str, max_len: int, stride: int
    ) -> list[Encoding]:
        """`<s> question </s></s> passage-slice </s>` windows of at most `max_len` tokens, from the question's `pieces`
        (tokenized once for all its passages), the passage cut into slices that overlap by `stride` tokens (the fast
        tokenizer's "only_second" truncation with its overflowing windows)."""
        question_ids, question_offsets = question
        passage_ids, passage_offsets = self.pieces(passage)
        room = max_len - len(question_ids) - 4
        slices = [(0, len(passage_ids))]
        if len(passage_ids) > room:
            if room <= stride:
                raise ValueError(f"a question of {len(question_ids)} tokens leaves no room for a passage in {max_len}")
            slices = []
            for start in range(0, len(passage_ids), room - stride):
                slices.append((start, min(start + room, len(passage_ids))))
                if slices[-1][1] == len(passage_ids):
                    break
        head_ids = [self.bos_id, *question_ids, self.eos_id, self.eos_id]
        head_offsets = [(0, 0), *question_offsets, (0, 0), (0, 0)]
        head_sequence = [None, *([0] * len(question_ids)), None, None]
        return [
            Encoding(
                ids=[*head_ids, *passage_ids[start:end], self.eos_id],
                offsets=[*head_offsets, *passage_offsets[start:end], (0, 0)],
                sequence_ids=[*head_sequence, *([1] * (end - start)), None],
            )
            for start, end in slices
        ]


def _char_starts(text: str) -> list[int]:
    """The UTF-8 byte offset at which each character of `text` starts, then the length in bytes."""
    starts, position = [], 0
    for char in text:
        starts.append(position)
        position += len(char.encode("utf-8"))
    starts.append(position)
    return starts


def load_tokenizer(folder: Path) -> Tokenizer:
    """The tokenizer of a model folder; OSError when it is missing or unreadable."""
    path = Path(folder) / SENTENCEPIECE_FILE
    try:
        return Tokenizer(path)
    except (RuntimeError, ValueError) as error:  # sentencepiece's errors for a missing or damaged model file
        raise OSError(f"cannot read the tokenizer {path}: {error}") from error
