"""Question answering over a Chinese newspaper article: `answer("…")` returns an exact, sourced span or says the article does not say.

Importing `qa` is cheap: the pipeline and its models load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
