"""The trained extractive reader: scores answer spans in passages with the fine-tuned e5 encoder."""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer, BatchEncoding, PreTrainedModel, PreTrainedTokenizerBase
from transformers.utils import logging as hf_logging

from qa.errors import EmptyQuestionError, ReaderUnavailableError
from qa.settings import PACKAGE_DIR

MODELS_DIR = PACKAGE_DIR / "models"
WEIGHTS_FILE = "reader.safetensors"
FORMAT_VERSION = 1
NULL_INDEX = 0  # the <s> token: start and end on it mean "no answer here" (as SQuAD 2.0 BERT does)
_MASKED = -1e4  # logit given to padding so that it never takes softmax mass
_CANDIDATES_PER_WINDOW = 20  # best (start, end) pairs kept from each window before merging


@dataclass(frozen=True)
class WindowSettings:
    """How a question and a passage are cut into encoder windows; fixed at training time.

    Each window holds the question, then a slice of the passage; slices of one passage overlap
    by `stride` tokens, so an answer cut at the edge of one window is whole in the next.
    """

    max_seq_len: int
    stride: int
    max_question_tokens: int

    def __post_init__(self) -> None:
        room = self.max_seq_len - self.max_question_tokens - 4  # <s> q </s></s> passage </s>
        if self.stride < 0 or room <= self.stride:
            raise ValueError(f"{self}: the passage part of a window ({room} tokens) must exceed the stride")


@dataclass(frozen=True)
class ReaderSpan:
    """A candidate answer with `passages[passage][start:end] == text`; `score` is its start + end logit."""

    passage: int
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class ReaderResult:
    """What the reader makes of one question over some passages.

    `spans`: distinct candidates, best first. `null_score`: the SQuAD 2.0 "no answer" score,
    the <s> start + end logit of the window most willing to answer (the lowest across windows).
    `probability`: the softmax share of the best span among {each passage's best span score,
    `null_score`}; near 1 when one passage clearly holds the answer, low when the reader prefers
    "no answer" or hesitates between passages. 0 when there is no span at all.
    """

    spans: tuple[ReaderSpan, ...]
    null_score: float
    probability: float

    @property
    def best(self) -> ReaderSpan | None:
        return self.spans[0] if self.spans else None


class SpanModel(torch.nn.Module):
    """An encoder with a start/end head (Linear hidden -> 2) over every token."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.qa_outputs = torch.nn.Linear(encoder.config.hidden_size, 2)
        self.frozen_layers = 0  # bottom encoder layers kept as in the base (see `freeze`)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(start_logits, end_logits), each (batch, tokens); padding gets a large negative logit."""
        # No token_type_ids: e5 was trained with all-zero types, the encoder's default.
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.qa_outputs(hidden).float().masked_fill(attention_mask[..., None] == 0, _MASKED)
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


def load_base(base_dir: Path) -> tuple[SpanModel, PreTrainedTokenizerBase]:
    """The base encoder from a Hugging Face folder with a fresh head; only the word embeddings are frozen.

    >>> model, tokenizer = load_base(build_model_dir())  # doctest: +SKIP
    >>> [name for name, p in model.named_parameters() if not p.requires_grad]  # doctest: +SKIP
    ['encoder.embeddings.word_embeddings.weight']
    """
    with _quiet_transformers():
        # The pooler is unused by span extraction; leaving it out keeps it out of the gradients and the export.
        encoder = AutoModel.from_pretrained(
            base_dir, add_pooling_layer=False, dtype=torch.float32, local_files_only=True
        )
        tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    return _with_head(encoder, tokenizer)


def copy_base(encoder: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> tuple[SpanModel, PreTrainedTokenizerBase]:
    """A span model over a copy of an already loaded base encoder (the embedder's), with a fresh head.

    The copy shares the word-embedding table (250,002 x 384 floats, 384 MB) instead of holding its
    own: the reader never changes it (see `SpanModel.freeze`). Everything else is copied, so the
    shipped weights overlay the copy and leave the retriever's encoder as it was.
    """
    table = encoder.get_input_embeddings().weight
    copied = copy.deepcopy(encoder, memo={id(table): table})
    copied.pooler = None  # as in `load_base`: span extraction does not use it, and it is not shipped
    return _with_head(copied, tokenizer)


def _with_head(encoder: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> tuple[SpanModel, PreTrainedTokenizerBase]:
    """The span model over `encoder` (only the word embeddings frozen); the tokenizer must give character offsets."""
    if not tokenizer.is_fast:
        raise ReaderUnavailableError("the reader needs a fast tokenizer (character offsets)")
    return SpanModel(encoder).freeze(0), tokenizer


def clip_question(tokenizer: PreTrainedTokenizerBase, question: str, max_tokens: int) -> str:
    """The question cut after its first `max_tokens` tokens, so a long question cannot crowd out the passage.

    >>> clip_question(tokenizer, "大连市2023年新建了多少所幼儿园？", 3)  # doctest: +SKIP
    '大连市2023'
    """
    offsets = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    if len(offsets) <= max_tokens:
        return question
    return question[: offsets[max_tokens - 1][1]]


def encode_windows(
    tokenizer: PreTrainedTokenizerBase,
    questions: list[str],
    passages: list[str],
    window: WindowSettings,
    padding: bool = False,
) -> BatchEncoding:
    """Windows of (question, passage slice) pairs with character offsets.

    `overflow_to_sample_mapping[i]` says which pair window i came from, `sequence_ids(i)` marks
    passage tokens with 1, and `offset_mapping[i][t]` is token t's (start, end) in its text.
    Training and reading use this one function, so the shipped reader sees the windows it was
    trained on.
    """
    clipped = {q: clip_question(tokenizer, q, window.max_question_tokens) for q in set(questions)}
    return tokenizer(
        [clipped[q] for q in questions],
        passages,
        truncation="only_second",
        max_length=window.max_seq_len,
        stride=window.stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding="longest" if padding else False,
    )


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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
    tmp = weights_path.with_suffix(".tmp")
    save_file(state, tmp, metadata={"format_version": str(FORMAT_VERSION)})
    tmp.chmod(0o644)  # safetensors creates files readable by their owner only
    tmp.replace(weights_path)
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
    meta_path = weights_path.with_suffix(".json")
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(meta_path)
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


def _window_candidates(
    start: np.ndarray, end: np.ndarray, offsets: list, sequence_ids: list, max_answer_chars: int
) -> list[tuple[float, int, int]]:
    """The best (score, char start, char end) spans of one window, over passage tokens only."""
    tokens = np.array([t for t, seq in enumerate(sequence_ids) if seq == 1])
    if tokens.size == 0:
        return []
    char_start = np.array([offsets[t][0] for t in tokens])
    char_end = np.array([offsets[t][1] for t in tokens])
    scores = start[tokens][:, None] + end[tokens][None, :]
    length = char_end[None, :] - char_start[:, None]
    valid = np.triu(np.ones_like(scores, dtype=bool)) & (length > 0) & (length <= max_answer_chars)
    scores = np.where(valid, scores, -np.inf)
    flat = scores.ravel()
    k = min(_CANDIDATES_PER_WINDOW, int(valid.sum()))
    if k == 0:
        return []
    best = np.argpartition(-flat, k - 1)[:k]
    rows, cols = np.unravel_index(best, scores.shape)
    return [(float(flat[i]), int(char_start[r]), int(char_end[c])) for i, r, c in zip(best, rows, cols)]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop the whitespace that a "▁" token can carry at either edge of a span."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def decode_spans(
    encoding: BatchEncoding,
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    passages: list[str],
    top_n: int,
    max_answer_chars: int,
) -> ReaderResult:
    """Merge the windows of one question into distinct spans, the null score and a probability."""
    best: dict[tuple[int, int, int], float] = {}
    null_scores = []
    for w in range(len(encoding["input_ids"])):
        p = encoding["overflow_to_sample_mapping"][w]
        null_scores.append(float(start_logits[w, NULL_INDEX] + end_logits[w, NULL_INDEX]))
        found = _window_candidates(
            start_logits[w], end_logits[w], encoding["offset_mapping"][w], encoding.sequence_ids(w), max_answer_chars
        )
        for score, s, e in found:
            s, e = _trim(passages[p], s, e)
            if s < e and score > best.get((p, s, e), -np.inf):  # overlapping windows repeat spans
                best[(p, s, e)] = score
    ranked = sorted(best.items(), key=lambda item: -item[1])
    spans = tuple(ReaderSpan(p, s, e, passages[p][s:e], score) for (p, s, e), score in ranked[:top_n])
    null_score = min(null_scores) if null_scores else 0.0
    if not spans:
        return ReaderResult(spans=(), null_score=null_score, probability=0.0)
    per_passage: dict[int, float] = {}
    for (p, _, _), score in ranked:
        per_passage.setdefault(p, score)  # ranked, so the first seen is the passage's best
    pool = np.array([*per_passage.values(), null_score])
    probability = float(np.exp(spans[0].score - pool.max()) / np.exp(pool - pool.max()).sum())
    return ReaderResult(spans=spans, null_score=null_score, probability=probability)


class Reader:
    """Finds answer spans for a question in a few passages.

    >>> reader = Reader.load()  # doctest: +SKIP
    >>> result = reader.read("大连新建了多少所幼儿园？", ["2023年，大连新建幼儿园12所。"])  # doctest: +SKIP
    >>> result.best.text, round(result.probability, 2)  # doctest: +SKIP
    ('12所', 0.97)
    """

    def __init__(self, model: SpanModel, tokenizer: PreTrainedTokenizerBase, window: WindowSettings) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.window = window

    @classmethod
    def load(
        cls,
        weights_path: Path | None = None,
        quantize: bool = False,
        base_dir: Path | None = None,
        base: tuple[PreTrainedModel, PreTrainedTokenizerBase] | None = None,
    ) -> Reader:
        """The base e5 encoder overlaid with the shipped reader weights.

        `weights_path` defaults to qa/models/reader.safetensors; `base_dir` to the converted e5
        folder (built into the default cache if needed). `base`, an already loaded encoder and
        tokenizer (`Embedder.transformer()`), is copied instead of loading `base_dir`, sharing its
        word embeddings (see `copy_base`). `quantize` applies int8 dynamic quantisation to the Linear
        layers; off by default: on a 2-core AVX2 CPU it saved under 5% of the time, and on an early
        checkpoint it changed 51 of 60 CMRC trial predictions (F1 -2). Raises ReaderUnavailableError
        when the weights are missing or do not fit the encoder.
        """
        weights_path = Path(weights_path) if weights_path is not None else MODELS_DIR / WEIGHTS_FILE
        if not weights_path.is_file():  # checked first: no point building the encoder without weights
            raise ReaderUnavailableError(
                f"reader weights {weights_path} are missing; train and export them with "
                "`qa train-reader ... --export qa/models`"
            )
        if base is not None:
            model, tokenizer = copy_base(*base)
        else:
            if base_dir is None:
                from qa.embedder import build_model_dir

                base_dir = build_model_dir()
            model, tokenizer = load_base(Path(base_dir))
        meta = load_shipped_weights(model, weights_path)
        model.eval()
        if quantize:
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return cls(model, tokenizer, WindowSettings(**meta["window"]))

    def read(self, question: str, passages: list[str], top_n: int = 5, max_answer_chars: int = 30) -> ReaderResult:
        """Read every passage (in windows if long) in one batch; spans index into their own passage.

        >>> result = reader.read("谁主持会议？", ["会议由张三主持。", "天气很好。"])  # doctest: +SKIP
        >>> result.best.passage, result.best.text  # doctest: +SKIP
        (0, '张三')
        """
        if not question.strip():
            raise EmptyQuestionError("the question is empty")
        if not passages:
            raise ValueError("passages is empty: give the reader at least one passage")
        if top_n < 1 or max_answer_chars < 1:
            raise ValueError(f"top_n ({top_n}) and max_answer_chars ({max_answer_chars}) must be at least 1")
        encoding = encode_windows(self.tokenizer, [question] * len(passages), passages, self.window, padding=True)
        device = next(self.model.parameters()).device  # the CPU, except while training on a GPU scores the tune set
        with torch.inference_mode():
            start, end = self.model(
                torch.tensor(encoding["input_ids"], device=device),
                torch.tensor(encoding["attention_mask"], device=device),
            )
        return decode_spans(encoding, start.cpu().numpy(), end.cpu().numpy(), passages, top_n, max_answer_chars)
