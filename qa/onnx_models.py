"""The e5 encoder and the reader on ONNX Runtime: what answers questions, without torch in the process.

Both graphs start after the word-embedding lookup: they take the looked-up vectors, so the two share one table,
read from a memory-mapped .npy file (only the rows of the tokens seen are ever paged in). `qa.onnx_export` builds
and checks the folders these classes load.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from qa.e5_weights import MAX_SEQ_LENGTH, TOKENIZER_FILE
from qa.errors import ModelUnavailableError, ReaderUnavailableError
from qa.reading import SpanReader, WindowSettings, load_tokenizer

ENCODER_FILE = "encoder.onnx"
READER_FILE = "reader.onnx"
TABLE_FILE = "word_embeddings.npy"
RECORD = "record.json"
INPUTS = ("inputs_embeds", "attention_mask")


def session(path: Path):
    """An ONNX Runtime session on the CPU with every graph optimisation, quiet unless something fails."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle worker threads would spin for a while after each run: with two sessions (encoder, reader) on a 2-core
    # machine, one session's spinning threads slowed the other's run by half.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own errors (NoSuchFile, InvalidProtobuf...) derive from Exception only
        raise OSError(f"ONNX Runtime cannot load {path}: {error}") from error


def load_table(path: Path) -> np.ndarray:
    """The word-embedding table (vocabulary x 384 float32), memory-mapped read-only."""
    return np.load(path, mmap_mode="r")


class OnnxEncoder:
    """Token ids -> L2-normalised mean-pooled e5 vectors (the sentence-transformers model's, to ~1e-6)."""

    def __init__(self, graph: Path, tokenizer: Tokenizer, table: np.ndarray) -> None:
        self._session = session(graph)
        self.tokenizer = tokenizer
        self.table = table
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)  # as sentence-transformers truncates
        self.tokenizer.no_padding()

    @classmethod
    def load(cls, folder: Path) -> OnnxEncoder:
        folder = Path(folder)
        try:
            return cls(folder / ENCODER_FILE, load_tokenizer(folder / TOKENIZER_FILE), load_table(folder / TABLE_FILE))
        except (OSError, ValueError) as error:
            raise ModelUnavailableError(f"{folder} cannot be loaded ({error}); delete it to rebuild it") from error

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """float32 (len(texts), 384) unit rows; texts are encoded shortest first in batches, returned in order."""
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(encoding.ids) for encoding in encodings], kind="stable")
        vectors = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for first in range(0, len(texts), batch_size):
            chosen = order[first : first + batch_size]
            width = max(len(encodings[i].ids) for i in chosen)
            ids = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.int64)
            for row, i in enumerate(chosen):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            (vectors[chosen],) = self._session.run(None, dict(zip(INPUTS, (self.table[ids], mask))))
        return vectors


class OnnxReader(SpanReader):
    """The shipped reader exported to ONNX; reads as `qa.reader.Reader` does (same windows, same decoding).

    >>> reader = OnnxReader.load(folder, embedder.word_embeddings)  # doctest: +SKIP
    >>> reader.read("谁主持会议？", ["会议由张三主持。"]).best.text  # doctest: +SKIP
    '张三'
    """

    def __init__(self, graph: Path, tokenizer: Tokenizer, window: WindowSettings, table: np.ndarray) -> None:
        super().__init__(tokenizer, window)
        self._session = session(graph)
        self.table = table

    @classmethod
    def load(cls, folder: Path, table: np.ndarray) -> OnnxReader:
        """The reader in `folder` (see `qa.onnx_export.reader_folder`) over the encoder's word-embedding table."""
        folder = Path(folder)
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            tokenizer = load_tokenizer(folder / TOKENIZER_FILE)
            return cls(folder / READER_FILE, tokenizer, WindowSettings(**record["window"]), table)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReaderUnavailableError(f"{folder} cannot be loaded ({error}); delete it to rebuild it") from error

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start, end = self._session.run(None, dict(zip(INPUTS, (self.table[input_ids], attention_mask))))
        return start, end
