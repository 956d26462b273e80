"""Keyword search, reciprocal rank fusion and the hybrid retriever, on hand-made data."""

import numpy as np
import pytest

from qa.index import DenseIndex
from qa.keyword import KeywordIndex
from qa.retriever import HybridRetriever, reciprocal_rank_fusion

SENTENCES = ["渤海大道实现全线通车。", "口袋公园人气颇旺。", "地铁5号线开始试乘。", "老旧小区改造惠及居民。"]


def test_rrf_hand_computed():
    # item 1: 1/(1+2) + 1/(1+1); item 3: 1/(1+1); item 2: 1/(1+2); divided by 2/(1+1)
    fused = reciprocal_rank_fusion([[3, 1], [1, 2]], k=1)
    assert [item for item, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(5 / 6)
    assert fused[1][1] == pytest.approx(1 / 2)


def test_rrf_single_ranking_keeps_order_and_tops_at_one():
    fused = reciprocal_rank_fusion([[2, 0, 1]], k=60)
    assert [item for item, _ in fused] == [2, 0, 1]
    assert fused[0][1] == pytest.approx(1.0)


def test_rrf_rejects_bad_k():
    with pytest.raises(ValueError, match="k must be positive"):
        reciprocal_rank_fusion([[1]], k=0)


def test_keyword_index_finds_words_and_ignores_question_words():
    index = KeywordIndex(SENTENCES)
    assert index.search("渤海大道什么时候通车？", k=2)[0][0] == 0
    assert index.search("什么？", k=2) == []


def test_keyword_index_converts_traditional_questions():
    assert KeywordIndex(SENTENCES).search("口袋公園", k=1)[0][0] == 1


class HandVectors:
    """Passage i gets basis vector i; the query vector is set by each test."""

    model_id = "hand"
    source_sha256 = "1" * 64

    def encode_passages(self, texts, batch_size=32, show_progress=False):
        return np.eye(len(texts), 8, dtype=np.float32)


def test_hybrid_fuses_dense_and_keyword(tmp_path):
    dense = DenseIndex.build(SENTENCES, HandVectors(), "doc", {"passage": "sentence"})
    retriever = HybridRetriever(dense, KeywordIndex(SENTENCES), dense_candidates=4, keyword_candidates=4, rrf_k=60)
    query = np.zeros(8, dtype=np.float32)
    query[2] = 1.0  # dense says sentence 2; keywords say sentence 0
    hits = retriever.retrieve(query, "渤海大道", k=4)
    assert {hits[0].row, hits[1].row} == {0, 2}
    assert hits[0].score >= hits[1].score
    english = retriever.retrieve(query, "When did it open?", k=4)
    assert english[0].row == 2 and english[0].keyword_score is None


def test_dense_search_matches_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    class Random:
        model_id, source_sha256 = "random", "2" * 64

        def encode_passages(self, texts, batch_size=32, show_progress=False):
            return vectors

    index = DenseIndex.build([str(i) for i in range(50)], Random(), "doc", {})
    query = vectors[7] + 0.1 * vectors[3]
    query /= np.linalg.norm(query)
    expected = np.argsort(-(vectors @ query))[:5]
    assert [row for row, _ in index.search(query, 5)] == list(expected)
