"""One explicit, serialisable settings object for the whole pipeline."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

EMBED_BATCH_SIZE = 8  # sentences embedded at a time: small batches ran faster on 2 cores (docs/benchmark.md)

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def default_cache_dir() -> Path:
    """Where built models live: $QA_CACHE_DIR, else ~/.cache/dalian-qa (never inside the repository)."""
    env = os.environ.get("QA_CACHE_DIR")
    if env is not None and env.strip():
        return Path(env).expanduser()
    return Path.home() / ".cache" / "dalian-qa"


def cache_root(cache_dir: Path | None) -> Path:
    """The cache folder `cache_dir` (None: `default_cache_dir()`), absolute."""
    return (Path(cache_dir) if cache_dir is not None else default_cache_dir()).expanduser().resolve()


def default_index_dir() -> Path:
    """The index of the shipped article: $QA_INDEX_DIR, else `index/` at the top of the repository."""
    env = os.environ.get("QA_INDEX_DIR")
    if env is not None and env.strip():
        return Path(env).expanduser()
    return REPO_DIR / "index"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline. Values recorded in the index metadata are marked (index)."""

    cache_dir: Path | None = None  # None: default_cache_dir()
    index_dir: Path | None = None  # None: default_index_dir()
    max_question_chars: int = 300  # longer questions are cut, with a note in the answer
    dense_candidates: int = 30  # sentences taken from FAISS before fusion
    keyword_candidates: int = 30  # sentences taken from BM25 before fusion
    rrf_k: int = 60  # reciprocal-rank-fusion constant
    evidence_count: int = 5  # sentences returned as evidence
    use_reader: bool = True  # use the trained reader when its weights are shipped
    quantized: bool = True  # the reader's int8 graph where the CPU multiplies int8 exactly (False: float32 always)
    answer_threshold: float | None = None  # None: the threshold shipped with the scorer
    embed_batch_size: int = EMBED_BATCH_SIZE
    # `from_texts` over at least this many characters embeds with the encoder's int8 graph: about twice as fast, so
    # 5 MB builds in minutes; the article and smaller texts keep the float32 one (docs/benchmark.md).
    int8_encoder_from_chars: int = 200_000
    # `from_texts` embeds at most this many tokens (3-4 minutes here): a text denser in tokens than 5 MB of Chinese
    # (5 MB of English holds 1.8 million) has its longest sentences cut to an equal share (`qa.embedder.token_cap`).
    embed_token_budget: int = 1_500_000

    def __post_init__(self) -> None:
        for name in ("cache_dir", "index_dir"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))  # accept str paths; frozen, so set once here
        positive = ("max_question_chars", "dense_candidates", "keyword_candidates", "rrf_k", "evidence_count",
                    "embed_batch_size", "int8_encoder_from_chars", "embed_token_budget")
        for name in positive:
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"Settings.{name} must be a positive int, got {getattr(self, name)!r}")
        threshold = self.answer_threshold
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError(f"Settings.answer_threshold must be in [0, 1], got {threshold!r}")

    def resolved_index_dir(self) -> Path:
        return self.index_dir if self.index_dir is not None else default_index_dir()

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}
