"""Question answering over a Chinese newspaper article: `answer("…")` returns an exact, sourced span or says the article does not say.

Importing `qa` is cheap: the pipeline and its models load on first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# Nothing leaves the machine: ONNX Runtime (1.32) looks up a telemetry host every few seconds unless this is set before
# it is imported, and the Hugging Face hub is never needed (every model is built locally, see qa.build).
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

__all__ = ["Answer", "Answerer", "Evidence", "Settings", "answer"]

if TYPE_CHECKING:
    from qa.pipeline import Answerer, answer
    from qa.results import Answer, Evidence
    from qa.settings import Settings


def __getattr__(name: str):
    if name in ("Answerer", "answer"):
        from qa import pipeline

        return getattr(pipeline, name)
    if name in ("Answer", "Evidence"):
        from qa import results

        return getattr(results, name)
    if name == "Settings":
        from qa.settings import Settings

        return Settings
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
