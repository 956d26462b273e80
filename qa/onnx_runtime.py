"""ONNX Runtime plumbing shared by the embedder and the reader: the folder layout, sessions, the word-embedding table.

Both graphs (`qa.encoder.OnnxEncoder`, `qa.reader.OnnxReader`) start after the word-embedding lookup: they take the
looked-up vectors, so the two share one table, read from a memory-mapped .npy file (only the rows of the tokens seen
are ever paged in). `qa.build.export` builds and checks the folders they load.
"""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np

ENCODER_FILE = "encoder.onnx"
ENCODER_INT8_FILE = "encoder-int8.onnx"  # the same graph with int8 weights and activations, for large texts
READER_FILE = "reader.onnx"
READER_INT8_FILE = "reader-int8.onnx"  # the same graph with int8 weights and activations (`qa.build.export`)
TABLE_FILE = "word_embeddings.npy"
RECORD = "record.json"
INPUTS = ("inputs_embeds", "attention_mask")
# x86 CPU flags of int8 dot products that add in 32 bits. Without them ONNX Runtime's uint8 x int8 kernels (AVX2's
# vpmaddubsw) saturate at 16 bits, so an int8 graph reads differently there, and no faster than float32.
EXACT_INT8_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})
X86 = frozenset({"x86_64", "amd64", "i386", "i686", "x86"})


def session(path: Path):
    """An ONNX Runtime session on the CPU with every graph optimisation, quiet unless something fails."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle worker threads would spin for a while after each run: with two sessions (encoder, reader) on a 2-core
    # machine, one session's spinning threads slowed the other's run by half.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own errors (NoSuchFile, InvalidProtobuf...) derive from Exception only
        raise OSError(f"ONNX Runtime cannot load {path}: {error}") from error


def cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, frozenset[str]]:
    """The CPU's model name and feature flags (avx2, avx512_vnni…), from `cpuinfo`; where it cannot be read,
    platform.processor() and no flags, the best there is."""
    model, flags = platform.processor(), frozenset()
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = frozenset(value.split())
            if model and flags:
                break
    except OSError:
        pass
    return model, flags


def exact_int8_products(machine: str | None = None, flags: frozenset[str] | None = None) -> bool:
    """Whether this CPU multiplies int8 without saturating: an x86 CPU with one of `EXACT_INT8_FLAGS` (none known:
    False), or any other architecture (ARM's dot products add in 32 bits)."""
    if (machine or platform.machine()).lower() not in X86:
        return True
    return not EXACT_INT8_FLAGS.isdisjoint(cpu()[1] if flags is None else flags)


def load_table(path: Path) -> np.ndarray:
    """The word-embedding table (vocabulary x 384 float32), memory-mapped read-only."""
    return np.load(path, mmap_mode="r")


def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask) as int64 arrays, the sequences padded with `pad_id` to the longest.

    >>> pad_batch([[0, 7, 2], [0, 2]], pad_id=1)[0].tolist()
    [[0, 7, 2], [0, 2, 1]]
    """
    width = max(len(ids) for ids in sequences)
    input_ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, ids in enumerate(sequences):
        input_ids[row, : len(ids)] = ids
        attention_mask[row, : len(ids)] = 1
    return input_ids, attention_mask
