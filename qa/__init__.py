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
    from qa.pipeline import Answerer
    from qa.results import Answer, Evidence
    from qa.settings import Settings


def answer(question: str) -> Answer:
    """Answer a question about the shipped article (`qa.pipeline.answer`). The first call of a process starts loading
    the models on a second thread before it imports the pipeline and indexes the article, so that the two overlap.

    >>> answer("2022年大连建成了多少处口袋公园？").text   # doctest: +SKIP
    '112处'
    """
    from qa import model_registry

    model_registry.preload()
    from qa import pipeline

    return pipeline.answer(question)


def __getattr__(name: str):
    if name == "Answerer":
        from qa.pipeline import Answerer

        return Answerer
    if name in ("Answer", "Evidence"):
        from qa import results

        return getattr(results, name)
    if name == "Settings":
        from qa.settings import Settings

        return Settings
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
