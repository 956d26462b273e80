"""Keyword half of hybrid retrieval: BM25 (bm25s) over jieba words of each sentence."""

from __future__ import annotations

import bm25s
import numpy as np

from qa.text import to_simplified, word_tokens


class KeywordIndex:
    """BM25 over a list of passages; `search` returns (passage index, score) best first.

    >>> index = KeywordIndex(["渤海大道实现全线通车。", "口袋公园人气颇旺。"])
    >>> index.search("渤海大道什么时候通车？", k=1)[0][0]
    0
    """

    def __init__(self, passages: list[str]):
        self._size = len(passages)
        # An empty token list would make bm25s drop the passage and shift every later index.
        corpus = [word_tokens(p) or ["\u0000"] for p in passages]
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return self._size

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        tokens = word_tokens(to_simplified(query))
        if not tokens or self._size == 0:
            return []
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
