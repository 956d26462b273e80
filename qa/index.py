"""Dense half of retrieval: a FAISS inner-product index over normalised sentence vectors, with self-describing metadata."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from qa.model_cache import write_atomically
from qa.settings import EMBED_BATCH_SIZE

FORMAT_VERSION = 2  # 2: the metadata records the sha256 of the vectors
INDEX_FILE = "sentences.faiss"
METADATA_FILE = "metadata.json"


class PassageEncoder(Protocol):
    model_id: str
    source_sha256: str

    def encode_passages(self, texts: list[str], batch_size: int = ..., show_progress: bool = ...) -> np.ndarray: ...


@dataclass(frozen=True)
class IndexMetadata:
    """What built an index; an index is reused only when document, model and chunking all match."""

    document_sha256: str
    model_id: str
    model_source_sha256: str
    chunking: dict
    count: int
    dimension: int
    versions: dict
    built_at: str
    build_seconds: float
    vectors_sha256: str = ""  # of the stored vectors, checked on every load: damage of the same size is caught
    format_version: int = FORMAT_VERSION

    def mismatch(self, expected: dict) -> str | None:
        """Why this index cannot serve `expected` (an `identity`); None when it can."""
        for name, value in expected.items():
            if getattr(self, name) != value:
                return f"{name} differs (index has {getattr(self, name)!r}, need {value!r})"
        return None


def identity(document_sha256: str, encoder: PassageEncoder, chunking: dict, count: int) -> dict:
    """The fields that must match for an index to be reused."""
    return {
        "format_version": FORMAT_VERSION,
        "document_sha256": document_sha256,
        "model_id": encoder.model_id,
        "model_source_sha256": encoder.source_sha256,
        "chunking": chunking,
        "count": count,
    }


def library_versions() -> dict:
    versions = {}
    for package in ("faiss-cpu", "onnxruntime", "sentencepiece", "dalian-qa"):  # what computes and searches the vectors
        try:
            versions[package] = importlib_metadata.version(package)
        except importlib_metadata.PackageNotFoundError:
            versions[package] = None
    return versions


class DenseIndex:
    """Exact inner-product search (IndexFlatIP): at a few thousand sentences, exact is fast and loses nothing."""

    def __init__(self, index: faiss.Index, metadata: IndexMetadata):
        self._index = index
        self.metadata = metadata

    @classmethod
    def build(
        cls,
        texts: list[str],
        encoder: PassageEncoder,
        document_sha256: str,
        chunking: dict,
        batch_size: int = EMBED_BATCH_SIZE,
        show_progress: bool = False,
    ) -> "DenseIndex":
        started = time.perf_counter()
        if texts:
            vectors = encoder.encode_passages(texts, batch_size=batch_size, show_progress=show_progress)
        else:
            vectors = np.zeros((0, 384), dtype=np.float32)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        meta = IndexMetadata(
            **identity(document_sha256, encoder, chunking, len(texts)),
            dimension=int(vectors.shape[1]),
            versions=library_versions(),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            build_seconds=round(time.perf_counter() - started, 3),
            vectors_sha256=_vectors_sha256(index),
        )
        return cls(index, meta)

    def __len__(self) -> int:
        return self._index.ntotal

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, cosine) best first for one L2-normalised query vector."""
        if len(self) == 0 or k <= 0:
            return []
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        scores, rows = self._index.search(query, min(k, len(self)))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def save(self, directory: Path) -> None:
        """Write each file atomically: a crash leaves the old file or the new one, never half of one; the metadata
        goes last, and `load` refuses an index that does not match it."""
        metadata = json.dumps(asdict(self.metadata), ensure_ascii=False, indent=2) + "\n"
        write_atomically(directory / INDEX_FILE, lambda temporary: faiss.write_index(self._index, str(temporary)))
        write_atomically(directory / METADATA_FILE, lambda temporary: temporary.write_text(metadata, encoding="utf-8"))

    @classmethod
    def load(cls, directory: Path) -> "DenseIndex":
        """Read an index; raises OSError/ValueError when files are missing or unreadable."""
        raw = json.loads((directory / METADATA_FILE).read_text())
        meta = IndexMetadata(**raw)
        index = faiss.read_index(str(directory / INDEX_FILE))
        if index.ntotal != meta.count or index.d != meta.dimension:
            raise ValueError(f"index holds {index.ntotal} x {index.d} vectors, metadata says {meta.count} x {meta.dimension}")
        if meta.format_version == FORMAT_VERSION and _vectors_sha256(index) != meta.vectors_sha256:
            raise ValueError(f"the vectors in {directory / INDEX_FILE} are not those recorded (damaged or replaced)")
        return cls(index, meta)


def _vectors_sha256(index: faiss.Index) -> str:
    """sha256 of an exact index's stored vectors (a few hundred KB for the article: checked in about a millisecond)."""
    return hashlib.sha256(faiss.vector_to_array(index.codes).tobytes()).hexdigest()


def load_or_build(
    directory: Path,
    texts: list[str],
    encoder: PassageEncoder,
    document_sha256: str,
    chunking: dict,
    batch_size: int = EMBED_BATCH_SIZE,
) -> DenseIndex:
    """The index in `directory` when it matches this document, model and chunking; else rebuild it, saying why."""
    expected = identity(document_sha256, encoder, chunking, len(texts))
    reason: str | None
    if not (directory / METADATA_FILE).exists() or not (directory / INDEX_FILE).exists():
        reason = f"no index in {directory}"
    else:
        try:
            index = DenseIndex.load(directory)
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            reason = f"the index in {directory} is unreadable ({error})"
        else:
            reason = index.metadata.mismatch(expected)
            if reason is None:
                return index
            reason = f"the index in {directory} is stale: {reason}"
    print(f"Building the sentence index: {reason}.", file=sys.stderr)
    index = DenseIndex.build(texts, encoder, document_sha256, chunking, batch_size=batch_size, show_progress=True)
    try:
        index.save(directory)
    except OSError as error:  # a read-only or full folder: answer from memory now, build again next time
        print(f"Index built in {index.metadata.build_seconds:.1f} s but not saved: cannot write {directory} "
              f"({error.strerror or error}); set QA_INDEX_DIR to a writable folder to keep it.", file=sys.stderr)
        return index
    print(f"Index built in {index.metadata.build_seconds:.1f} s ({len(index)} sentences) -> {directory}", file=sys.stderr)
    return index
