"""The reader's span model on torch: the e5 encoder with a start/end head, its shipped weights, and `TorchReader`.

Training and export use this; answering uses the same weights exported to ONNX (`qa.reader.OnnxReader`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from transformers import AutoConfig, AutoModel
from transformers.utils import logging as hf_logging

from qa.errors import ReaderUnavailableError
from qa.model_cache import sha256_file, write_atomically
from qa.models import MODELS_DIR, WEIGHTS_FILE
from qa.reader import SpanReader, WindowSettings
from qa.tokenization import Tokenizer, load_tokenizer

FORMAT_VERSION = 1
MASKED_LOGIT = -1e4  # logit given to padding so that it never takes softmax mass


class SpanModel(torch.nn.Module):
    """An encoder with a start/end head (Linear hidden -> 2) over every token."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.qa_outputs = torch.nn.Linear(encoder.config.hidden_size, 2)
        self.frozen_layers = 0  # bottom encoder layers kept as in the base (see `freeze`)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(start_logits, end_logits), each (batch, tokens); padding gets a large negative logit."""
        return self.from_embeddings(self.encoder.get_input_embeddings()(input_ids), attention_mask)

    def from_embeddings(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward` after the word-embedding lookup (the ONNX graph starts here: the table stays outside it)."""
        # No token_type_ids: e5 was trained with all-zero types, the encoder's default.
        hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
        logits = self.qa_outputs(hidden).float().masked_fill(attention_mask[..., None] == 0, MASKED_LOGIT)
        return logits[..., 0], logits[..., 1]

    def freeze(self, frozen_layers: int = 0) -> SpanModel:
        """Freeze the word embeddings and, when `frozen_layers` > 0, every embedding and the bottom layers.

        The word embeddings are shared with the retriever, so never trained or shipped. Frozen
        bottom layers need no backward pass (6 of 12 roughly halve a training step) and are not
        shipped either. Returns self.

        >>> sorted(model.freeze(6).shipped_parameters())[0]  # doctest: +SKIP
        'encoder.encoder.layer.10.attention.output.LayerNorm.bias'
        """
        layers = self.encoder.encoder.layer
        if not 0 <= frozen_layers <= len(layers):
            raise ValueError(f"frozen_layers must be in 0..{len(layers)}, got {frozen_layers!r}")
        for param in self.parameters():
            param.requires_grad_(True)
        frozen = [self.encoder.get_input_embeddings()]
        if frozen_layers:
            frozen = [self.encoder.embeddings, *layers[:frozen_layers]]
        for module in frozen:
            module.requires_grad_(False)
        self.frozen_layers = frozen_layers
        return self

    def shipped_parameters(self) -> dict[str, torch.nn.Parameter]:
        """What fine-tuning changes, hence what `--export` writes: the parameters left trainable by `freeze`."""
        return {name: param for name, param in self.named_parameters() if param.requires_grad}


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report (it lists the pooler we leave out on purpose) and progress bars."""
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_base(base_dir: Path, layers: int | None = None) -> tuple[SpanModel, Tokenizer]:
    """The base encoder from a Hugging Face folder with a fresh head (only the word embeddings frozen), and its tokenizer.

    `layers` keeps only the bottom layers of the encoder (a smaller, faster reader); None keeps them all.

    >>> model, tokenizer = load_base(model_registry.model_dir())  # doctest: +SKIP
    >>> [name for name, p in model.named_parameters() if not p.requires_grad]  # doctest: +SKIP
    ['encoder.embeddings.word_embeddings.weight']
    """
    base_dir = Path(base_dir)
    overrides = {}
    if layers is not None:
        available = AutoConfig.from_pretrained(base_dir, local_files_only=True).num_hidden_layers
        if not 1 <= layers <= available:
            raise ReaderUnavailableError(f"the base in {base_dir} has {available} layers; cannot keep {layers}")
        overrides["num_hidden_layers"] = layers
    with _quiet_transformers():
        # The pooler is unused by span extraction; leaving it out keeps it out of the gradients and the export.
        # With fewer layers the upper layers' weights are simply not loaded.
        encoder = AutoModel.from_pretrained(
            base_dir, add_pooling_layer=False, dtype=torch.float32, local_files_only=True, **overrides
        )
    try:
        tokenizer = load_tokenizer(base_dir)
    except OSError as error:
        raise ReaderUnavailableError(f"the reader needs the base model's fast tokenizer: {error}") from error
    return SpanModel(encoder).freeze(0), tokenizer


def base_fingerprint(model: SpanModel) -> dict:
    """The facts about the base encoder that shipped weights depend on; recorded at export, checked at load."""
    config = model.encoder.config
    table = model.encoder.get_input_embeddings().weight.detach()
    return {
        "model_type": config.model_type,
        "hidden_size": config.hidden_size,
        "num_hidden_layers": config.num_hidden_layers,
        "vocab_size": config.vocab_size,
        # The frozen table is not shipped: weights trained over another table would silently misread it.
        # Hashing every 997th row is cheap and still catches another conversion or model.
        "word_embeddings_sample_sha256": hashlib.sha256(table[::997].float().contiguous().numpy().tobytes()).hexdigest(),
    }


def save_shipped_weights(model: SpanModel, window: WindowSettings, out_dir: Path, **record) -> Path:
    """Write what fine-tuning changed (fp16 safetensors) and its json record into `out_dir`; returns the weights path.

    The record holds `record` (training details) plus the format, window settings, base
    fingerprint and the weights' sha256, which `load_shipped_weights` checks.
    """
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights_path = out_dir / WEIGHTS_FILE
    state = {name: param.detach().to(torch.float16).contiguous() for name, param in model.shipped_parameters().items()}
    write_atomically(weights_path, lambda temporary: save_file(state, temporary, metadata={"format_version": str(FORMAT_VERSION)}))
    meta = {
        "format_version": FORMAT_VERSION,
        "window": asdict(window),
        "frozen_layers": model.frozen_layers,
        "base_model": {"fingerprint": base_fingerprint(model)},
        "weights_file": WEIGHTS_FILE,
        "weights_sha256": sha256_file(weights_path),
        "weights_bytes": weights_path.stat().st_size,
        "dtype": "float16",
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **record,
    }
    text = json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    write_atomically(weights_path.with_suffix(".json"), lambda temporary: temporary.write_text(text, encoding="utf-8"))
    return weights_path


def load_shipped_weights(model: SpanModel, weights_path: Path) -> dict:
    """Overlay exported weights (and check their record) onto a base model; returns the record.

    Raises ReaderUnavailableError when the file is missing, damaged, or made for another base.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    weights_path = Path(weights_path)
    meta_path = weights_path.with_suffix(".json")
    retrain = "train and export it with `qa train-reader ... --export qa/models`"
    if not weights_path.is_file() or not meta_path.is_file():
        raise ReaderUnavailableError(f"reader weights {weights_path} (or its record {meta_path.name}) are missing; {retrain}")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format_version") != FORMAT_VERSION:
        raise ReaderUnavailableError(
            f"{meta_path}: format {meta.get('format_version')!r}, this code reads {FORMAT_VERSION}; {retrain}"
        )
    if sha256_file(weights_path) != meta.get("weights_sha256"):
        raise ReaderUnavailableError(f"{weights_path} does not match the sha256 in {meta_path.name}; {retrain}")
    expected_base = meta.get("base_model", {}).get("fingerprint")
    actual_base = base_fingerprint(model)
    if expected_base != actual_base:
        raise ReaderUnavailableError(
            f"{weights_path} was trained on another base encoder ({expected_base}, this one is {actual_base}); {retrain}"
        )
    try:
        state = load_file(weights_path)
    except (SafetensorError, OSError) as error:
        raise ReaderUnavailableError(f"{weights_path} cannot be read ({error}); {retrain}") from error
    frozen_layers = meta.get("frozen_layers")
    if not isinstance(frozen_layers, int) or not 0 <= frozen_layers <= model.encoder.config.num_hidden_layers:
        raise ReaderUnavailableError(f"{meta_path}: frozen_layers {frozen_layers!r} does not fit the encoder; {retrain}")
    wanted = model.freeze(frozen_layers).shipped_parameters()
    missing, unexpected = sorted(wanted.keys() - state.keys()), sorted(state.keys() - wanted.keys())
    wrong = sorted(name for name in wanted.keys() & state.keys() if state[name].shape != wanted[name].shape)
    if missing or unexpected or wrong:
        raise ReaderUnavailableError(
            f"{weights_path} does not fit the encoder: missing {missing[:3]}, unexpected {unexpected[:3]}, "
            f"wrong shape {wrong[:3]}; {retrain}"
        )
    with torch.no_grad():
        for name, param in wanted.items():
            param.copy_(state[name].to(param.dtype))
    return meta


def recorded_layers(weights_path: Path) -> int | None:
    """The encoder depth that shipped weights were trained with (their record's fingerprint); None when unreadable.

    None lets `load_shipped_weights` say what is wrong with the record.
    """
    try:
        meta = json.loads(Path(weights_path).with_suffix(".json").read_text(encoding="utf-8"))
        layers = meta["base_model"]["fingerprint"]["num_hidden_layers"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return layers if isinstance(layers, int) else None


class TorchReader(SpanReader):
    """The span model on torch (training scores its tune set with it; `qa.build.export` exports it for answering).

    >>> reader = TorchReader.load(base_dir=model_registry.model_dir())  # doctest: +SKIP
    >>> result = reader.read("大连新建了多少所幼儿园？", ["2023年，大连新建幼儿园12所。"])  # doctest: +SKIP
    >>> result.best.text, round(result.probability, 2)  # doctest: +SKIP
    ('12所', 0.97)
    """

    def __init__(self, model: SpanModel, tokenizer: Tokenizer, window: WindowSettings) -> None:
        super().__init__(tokenizer, window)
        self.model = model.eval()

    @classmethod
    def load(cls, weights_path: Path | None = None, quantize: bool = False, *, base_dir: Path) -> TorchReader:
        """The base e5 encoder overlaid with the shipped reader weights.

        `weights_path` defaults to qa/models/reader.safetensors; `base_dir` is the converted e5 folder
        (`qa.model_registry.model_dir()`). `quantize` applies int8 dynamic quantisation to the
        Linear layers; off by default: on a 2-core AVX2 CPU it saved under 5% of the time, and on an early
        checkpoint it changed 51 of 60 CMRC trial predictions (F1 -2). Raises ReaderUnavailableError
        when the weights are missing or do not fit the encoder.
        """
        weights_path = Path(weights_path) if weights_path is not None else MODELS_DIR / WEIGHTS_FILE
        if not weights_path.is_file():  # checked first: no point building the encoder without weights
            raise ReaderUnavailableError(
                f"reader weights {weights_path} are missing; train and export them with "
                "`qa train-reader ... --export qa/models`"
            )
        model, tokenizer = load_base(Path(base_dir), recorded_layers(weights_path))
        meta = load_shipped_weights(model, weights_path)
        model.eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return cls(model, tokenizer, WindowSettings(**meta["window"]))

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        device = next(self.model.parameters()).device  # the CPU, except while training on a GPU scores the tune set
        with torch.inference_mode():
            start, end = self.model(
                torch.from_numpy(input_ids).to(device), torch.from_numpy(attention_mask).to(device)
            )
        return start.cpu().numpy(), end.cpu().numpy()
