"""jieba's dictionary and part-of-speech table from pickles in the model cache, read faster than jieba's own files."""

from __future__ import annotations

import contextlib
import io
import pickle
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import jieba

from qa.model_cache import write_atomically
from qa.settings import cache_root

_tags_lock = threading.Lock()  # one import of jieba.posseg with the cached table at a time


def load_word_dictionary(cache_dir: Path | None = None, tokenizer=None) -> None:
    """Load jieba's default dictionary (its words and their prefixes, with counts) into `tokenizer` (None: jieba's
    default tokenizer) from a pickle in the cache, written there from jieba's own load the first time. pickle reads it
    in 0.2 s where jieba's marshal cache takes 0.7-0.9 s (docs/benchmark.md). A tokenizer already loaded, or given
    another dictionary, is left to jieba."""
    tokenizer = tokenizer or jieba.dt
    if tokenizer.initialized or tokenizer.dictionary != jieba.DEFAULT_DICT:
        return
    path = cache_root(cache_dir) / f"jieba-{jieba.__version__}.pickle"
    cached = _read_pickle(path, lambda value: isinstance(value, tuple) and len(value) == 2
                          and isinstance(value[0], dict) and isinstance(value[1], int))
    if cached is None:
        tokenizer.initialize()
        _write_pickle(path, (tokenizer.FREQ, tokenizer.total))
        return
    with tokenizer.lock:
        if not tokenizer.initialized:
            (tokenizer.FREQ, tokenizer.total), tokenizer.initialized = cached, True


def load_word_tags(cache_dir: Path | None = None) -> None:
    """Import jieba.posseg with its word-tag table (a part of speech for each of jieba's 349,045 words) from a pickle
    in the cache, written there from jieba's own table the first time: 0.17 s where its import reads the dictionary's
    text in 0.38 s (docs/benchmark.md). Once jieba.posseg is imported (by whatever imported it first), or jieba's
    default tokenizer is not yet loaded (`load_word_dictionary`) or given another dictionary, it is left to jieba."""
    if "jieba.posseg" in sys.modules or not jieba.dt.initialized or jieba.dt.dictionary != jieba.DEFAULT_DICT:
        return
    path = cache_root(cache_dir) / f"jieba-{jieba.__version__}-tags.pickle"
    table = _read_pickle(path, lambda value: isinstance(value, dict) and bool(value))
    if table is None:
        from jieba import posseg

        _write_pickle(path, posseg.dt.word_tag_tab)
        return
    with _tags_lock:
        if "jieba.posseg" in sys.modules:
            return
        # posseg reads its table from the tokenizer's dictionary file as it is imported: here from an empty one.
        # The tokenizer is loaded already, so nothing else reads that file meanwhile.
        jieba.dt.get_dict_file = lambda: io.BytesIO()
        try:
            from jieba import posseg
        finally:
            del jieba.dt.get_dict_file
        posseg.dt.word_tag_tab = table


def _read_pickle(path: Path, valid: Callable[[object], bool]):
    """What the pickle at `path` holds, when `valid` accepts it; None when it is missing or damaged."""
    try:
        with open(path, "rb") as file:
            value = pickle.load(file)
    except Exception:  # a broken pickle can raise almost any error
        return None
    return value if valid(value) else None


def _write_pickle(path: Path, value) -> None:
    """`value` pickled to `path` whole or not at all; nothing where the cache cannot be written (the next process
    builds it again)."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):
        write_atomically(path, lambda temporary: temporary.write_bytes(data))
