"""Hybrid retrieval: dense (FAISS) and keyword (BM25) rankings of sentences, fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.index import DenseIndex
from qa.keyword import KeywordIndex


@dataclass(frozen=True)
class Hit:
    """A retrieved sentence: `row` indexes the corpus' sentence list."""

    row: int
    score: float  # fused reciprocal-rank score, normalised so the best possible is 1.0
    dense_score: float | None  # cosine similarity, None when outside the dense candidates
    keyword_score: float | None  # BM25 score, None when outside the keyword candidates


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = 60) -> list[tuple[int, float]]:
    """Fuse rankings (best first) by reciprocal rank: score(d) = sum over rankings of 1 / (k + rank), rank from 1.

    Scores are divided by the score of an item ranked first everywhere, so they lie in (0, 1].

    >>> reciprocal_rank_fusion([[3, 1], [1, 2]], k=1)
    [(1, 0.8333333333333333), (3, 0.5), (2, 0.3333333333333333)]
    """
    if k <= 0:
        raise ValueError(f"rrf k must be positive, got {k!r}")
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    best_possible = len(rankings) / (k + 1) if rankings else 1.0
    return sorted(((item, s / best_possible) for item, s in scores.items()), key=lambda pair: (-pair[1], pair[0]))


class HybridRetriever:
    """Ranks sentences for a question by fusing the dense and the keyword ranking."""

    def __init__(self, dense: DenseIndex, keyword: KeywordIndex, dense_candidates: int, keyword_candidates: int, rrf_k: int):
        if len(dense) != len(keyword):
            raise ValueError(f"dense index has {len(dense)} rows but keyword index {len(keyword)}")
        self.dense = dense
        self.keyword = keyword
        self.dense_candidates = dense_candidates
        self.keyword_candidates = keyword_candidates
        self.rrf_k = rrf_k

    def retrieve(self, query_vector: np.ndarray, keyword_query: str, k: int) -> list[Hit]:
        """The `k` best sentences; an English question has no keyword hits and is ranked by the dense half alone."""
        dense = self.dense.search(query_vector, self.dense_candidates)
        keyword = self.keyword.search(keyword_query, self.keyword_candidates)
        rankings = [[row for row, _ in dense]]
        if keyword:
            rankings.append([row for row, _ in keyword])
        dense_scores, keyword_scores = dict(dense), dict(keyword)
        fused = reciprocal_rank_fusion(rankings, self.rrf_k)[:k]
        return [Hit(row, score, dense_scores.get(row), keyword_scores.get(row)) for row, score in fused]
