"""Tests of `qa train-reader` on a tiny model: labels, batches, learning, resuming, and the export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from test_reader import EXAMPLES, FILLER, WINDOW, build_tiny_base

from eval.datasets import hash_bucket, load_article_set
from qa.errors import ReaderUnavailableError
from qa.model_cache import sha256_file
from qa.models import WEIGHTS_FILE
from qa.reader import NULL_INDEX, encode_windows
from qa.build.span_model import TorchReader, load_base
from training.reader import (
    ANYWHERE,
    LOG_FILE,
    TrainExample,
    answer_tokens,
    bf16_autocast,
    data_sources,
    epoch_batches,
    hard_negatives,
    latest_checkpoint,
    main,
    model_card,
    read_examples,
    span_loss,
    start_from_teacher,
    training_windows,
)
from training.sample_squad import sample
from training.tune_reads import TUNE_READS_SOURCE, TUNE_READS_VERSION, score, squad


def _squad(examples, repeat: int = 1) -> dict:
    paragraphs = [
        {
            "context": context,
            "qas": [{"id": f"Q{i}-{r}", "question": question, "answers": [{"text": answer, "answer_start": context.index(answer)}]}],
        }
        for r in range(repeat)
        for i, (question, context, answer) in enumerate(examples)
    ]
    return {"version": "v1.0", "data": [{"paragraphs": paragraphs}]}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("train-reader")
    build_tiny_base(folder / "base")
    # Long contexts (filler first) so that some windows lack the answer.
    long_examples = [(q, FILLER + c, a) for q, c, a in EXAMPLES]
    (folder / "train.json").write_text(json.dumps(_squad(long_examples, repeat=4), ensure_ascii=False), encoding="utf-8")
    (folder / "tune.json").write_text(json.dumps(_squad(EXAMPLES), ensure_ascii=False), encoding="utf-8")
    return folder


def _args(workspace: Path, checkpoints: Path, *extra: str) -> list[str]:
    return [
        "--train", str(workspace / "train.json"), "--tune", str(workspace / "tune.json"),
        "--base-dir", str(workspace / "base"), "--checkpoint-dir", str(checkpoints),
        "--max-seq-len", "40", "--stride", "8", "--max-question-tokens", "12",
        "--batch-size", "8", "--lr", "5e-3", "--warmup", "0.1",
        "--frozen-layers", "1", "--null-window-rate", "0.5", "--checkpoint-every", "10", "--eval-every", "10",
        "--tune-questions", "300", "--no-progress", *extra,
    ]


def _log(checkpoints: Path) -> list[dict]:
    return [json.loads(line) for line in (checkpoints / LOG_FILE).read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def trained(workspace) -> Path:
    """A finished 10-epoch run of the tiny model (checkpoints every 10 steps)."""
    checkpoints = workspace / "run"
    assert main(_args(workspace, checkpoints, "--epochs", "10")) == 0
    return checkpoints


def test_read_examples_trims_and_relocates_answers(tmp_path):
    data = {"data": [{"paragraphs": [{"context": "会议由市长 张三 主持。", "qas": [
        {"id": "a", "question": "谁？", "answers": [{"text": " 张三", "answer_start": 5}]},
        {"id": "b", "question": "谁？", "answers": [{"text": "张三", "answer_start": 0}]},  # misplaced start
        {"id": "c", "question": "谁？", "answers": [{"text": "李四", "answer_start": 2}]},  # not in the text
    ]}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    examples = read_examples(path)
    assert [(e.start, e.end) for e in examples] == [(6, 8), (6, 8)]
    assert all(e.context[e.start : e.end] == "张三" for e in examples)


def test_impossible_questions_are_unanswerable_in_every_window(workspace, tmp_path):
    _, tokenizer = load_base(workspace / "base")
    question, context, answer = EXAMPLES[0]
    data = {"data": [{"paragraphs": [
        {"context": FILLER + context, "qas": [
            {"id": "a", "question": question, "answers": [{"text": answer, "answer_start": len(FILLER) + context.index(answer)}]},
            {"id": "b", "question": question, "answers": [], "is_impossible": True},
        ]},
    ]}]}
    path = tmp_path / "squad2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    answerable, unanswerable = read_examples(path)
    assert answerable.answerable and answerable.context[answerable.start : answerable.end] == answer
    assert (unanswerable.start, unanswerable.end) == (ANYWHERE, ANYWHERE) and not unanswerable.answerable
    assert hard_negatives([unanswerable], rate=1.0, seed=0) == []
    windows = training_windows(tokenizer, [unanswerable], WINDOW, null_window_rate=0.0, seed=0)
    encoding = encode_windows(tokenizer, [question], [unanswerable.context], WINDOW)
    assert len(windows) == len(encoding) > 1
    assert all((w.start, w.end) == (NULL_INDEX, NULL_INDEX) for w in windows)


def _padded_examples() -> list[TrainExample]:
    """EXAMPLES with filler on both sides of their context, so that some windows miss the answer."""
    examples = []
    for question, context, answer in EXAMPLES:
        passage = FILLER + context + FILLER
        start = passage.index(answer)
        examples.append(TrainExample(question, passage, start, start + len(answer)))
    return examples


def test_every_window_with_the_answer_points_at_its_tokens(workspace):
    _, tokenizer = load_base(workspace / "base")
    examples = _padded_examples()
    encoding = encode_windows(tokenizer, [e.question for e in examples], [e.context for e in examples], WINDOW)
    windows = training_windows(tokenizer, examples, WINDOW, null_window_rate=1.0, seed=0)
    assert len(windows) == len(encoding) > 2 * len(examples)
    with_answer = set()
    for w, window in enumerate(windows):
        example = examples[encoding.passage_of[w]]
        offsets = encoding.offsets[w]
        assert window.input_ids == tuple(encoding.input_ids[w])
        if window.start == NULL_INDEX:
            assert window.end == NULL_INDEX
            assert answer_tokens(offsets, encoding.sequence_ids[w], example.start, example.end) is None
            continue
        with_answer.add(encoding.passage_of[w])
        first, last = offsets[window.start], offsets[window.end]
        decoded = example.context[first[0] : last[1]]
        gold = example.context[example.start : example.end]
        if gold == "2023年5月1日":  # ends inside the token "日正": the smallest token cover
            assert decoded == gold + "正"
        else:
            assert decoded == gold
        assert first[0] <= example.start < first[1] and last[0] < example.end <= last[1]
    assert with_answer == set(range(len(examples)))

    kept = training_windows(tokenizer, examples, WINDOW, null_window_rate=0.0, seed=0)
    assert [w for w in windows if w.start != NULL_INDEX] == kept


def test_hard_negatives_remove_the_answer_sentence_and_train_only_near_it(workspace):
    _, tokenizer = load_base(workspace / "base")
    examples = _padded_examples()
    negatives = hard_negatives(examples, rate=1.0, seed=0)
    assert len(negatives) == len(examples)
    for example, negative in zip(examples, negatives):
        answer = example.context[example.start : example.end]
        assert not negative.answerable and answer not in negative.context
        sentence = example.context[len(FILLER) : example.context.index(FILLER, len(FILLER))]
        assert negative.context == example.context.replace(sentence, "", 1)
        assert negative.start == len(FILLER)  # where the sentence was
    assert hard_negatives(examples, rate=0.0, seed=0) == []
    assert len(hard_negatives(examples * 20, rate=0.5, seed=1)) in range(30, 71)

    windows = training_windows(tokenizer, negatives, WINDOW, null_window_rate=0.0, seed=0)
    encoding = encode_windows(tokenizer, [e.question for e in negatives], [e.context for e in negatives], WINDOW)
    assert 0 < len(windows) < len(encoding)  # only the windows around the removed sentence
    assert all((w.start, w.end) == (NULL_INDEX, NULL_INDEX) for w in windows)


def test_no_hard_negative_when_the_answer_remains_or_crosses_sentences():
    repeated = TrainExample("谁主持？", "会议由张三主持。张三是市长。", 3, 5)
    crossing = TrainExample("什么？", "城市更美好。人民更幸福。", 2, 9)
    alone = TrainExample("谁主持？", "会议由张三主持。", 3, 5)
    assert hard_negatives([repeated, crossing, alone], rate=1.0, seed=0) == []


def test_epoch_batches_cover_every_window_once_and_repeat_per_seed():
    lengths = [(i * 7) % 23 + 5 for i in range(100)]
    batches = epoch_batches(lengths, batch_size=8, seed=1, epoch=0)
    assert sorted(i for batch in batches for i in batch) == list(range(100))
    assert max(len(b) for b in batches) == 8
    assert batches == epoch_batches(lengths, batch_size=8, seed=1, epoch=0)
    assert batches != epoch_batches(lengths, batch_size=8, seed=1, epoch=1)


def test_training_lowers_the_loss_and_logs_each_checkpoint(trained):
    log = _log(trained)
    assert [entry["step"] for entry in log] == list(range(10, log[-1]["total_steps"], 10)) + [log[-1]["total_steps"]]
    assert log[-1]["loss"] < 0.6 * log[0]["loss"]
    assert all(0 <= entry["tune_f1"] <= 100 and entry["tune_questions"] == len(EXAMPLES) for entry in log)
    assert len(list(trained.glob("ckpt-*.pt"))) == 2  # only the newest are kept


def test_a_finished_run_is_not_trained_again(workspace, trained):
    newest = max(trained.glob("ckpt-*.pt"))
    before = newest.stat().st_mtime_ns
    assert main(_args(workspace, trained, "--epochs", "10")) == 0
    assert newest.stat().st_mtime_ns == before and len(_log(trained)) == len(set(e["step"] for e in _log(trained)))


def test_resuming_continues_exactly_where_the_run_stopped(workspace, tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert main(_args(workspace, whole, "--epochs", "4")) == 0
    assert main(_args(workspace, parts, "--epochs", "4", "--stop-after", "13")) == 0
    assert latest_checkpoint(parts)["step"] == 13
    assert main(_args(workspace, parts, "--epochs", "4")) == 0

    steps = [entry["step"] for entry in _log(parts)]
    assert steps[:2] == [10, 13] and steps[2] == 20 and steps == sorted(set(steps))
    a, b = latest_checkpoint(whole), latest_checkpoint(parts)
    assert a["step"] == b["step"]
    for name, tensor in a["model"].items():
        torch.testing.assert_close(b["model"][name], tensor, rtol=1e-5, atol=1e-6)
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"]


def test_changed_arguments_refuse_to_resume(workspace, trained, capsys):
    assert main(_args(workspace, trained, "--epochs", "10", "--seed", "7")) == 2
    assert "seed: 42 -> 7" in capsys.readouterr().err


def test_further_training_files_join_the_first_and_belong_to_the_run(workspace, tmp_path, capsys):
    drcd_like = tmp_path / "more.json"
    drcd_like.write_text(json.dumps(_squad(EXAMPLES, repeat=2), ensure_ascii=False), encoding="utf-8")
    alone, mixed = tmp_path / "alone", tmp_path / "mixed"
    assert main(_args(workspace, alone, "--epochs", "1", "--stop-after", "2")) == 0
    assert main(_args(workspace, mixed, "--epochs", "1", "--stop-after", "2", "--more-train", str(drcd_like))) == 0
    assert _log(alone)[-1]["total_steps"] < _log(mixed)[-1]["total_steps"]
    run = json.loads((mixed / "run.json").read_text(encoding="utf-8"))
    assert run["more_train"] == [str(drcd_like)] and run["more_train_sha256"] == [sha256_file(drcd_like)]
    assert "more_train" not in json.loads((alone / "run.json").read_text(encoding="utf-8"))
    assert main(_args(workspace, mixed, "--epochs", "1", "--more-train", str(drcd_like), "--export", str(tmp_path / "out"))) == 0
    assert f"`more.json` (sha256 `{sha256_file(drcd_like)}`)" in (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert main(_args(workspace, mixed, "--epochs", "1", "--stop-after", "3")) == 2  # the run had the further file
    assert "more_train" in capsys.readouterr().err


def test_export_writes_the_delta_and_the_reader_loads_it(workspace, trained, tmp_path):
    out = tmp_path / "models"
    assert main(_args(workspace, trained, "--epochs", "10", "--export", str(out))) == 0
    path = out / WEIGHTS_FILE
    state = load_file(path)
    # --frozen-layers 1: the embeddings and layer 0 stay as in the base, so only layer 1 and the head ship.
    assert {name.split(".")[0] if name.startswith("qa") else ".".join(name.split(".")[:4]) for name in state} == {
        "qa_outputs", "encoder.encoder.layer.1"
    }
    assert {t.dtype for t in state.values()} == {torch.float16}
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    final = _log(trained)[-1]
    assert meta["steps"] == final["step"] and meta["scores"] == final
    assert meta["weights_sha256"] == sha256_file(path)
    assert meta["training"]["lr"] == 5e-3 and meta["train_time_s"] > 0
    assert meta["base_model_source"]["sha256"] == sha256_file(workspace / "base" / "model.safetensors")

    card = (out / "README.md").read_text(encoding="utf-8")
    assert f"sha256 `{meta['weights_sha256']}`" in card and f"at step {final['step']}" in card

    reader = TorchReader.load(weights_path=path, base_dir=workspace / "base", quantize=False)
    checkpoint = latest_checkpoint(trained)["model"]
    torch.testing.assert_close(reader.model.get_parameter("qa_outputs.weight"), checkpoint["qa_outputs.weight"], atol=2e-3, rtol=2e-3)
    passages = [c for _, c, _ in EXAMPLES]
    result = reader.read(EXAMPLES[0][0], passages, top_n=10)
    assert result.spans
    for span in result.spans:
        assert passages[span.passage][span.start : span.end] == span.text


def test_span_loss_mixes_in_the_teachers_distributions():
    torch.manual_seed(0)
    logits = (torch.randn(3, 7), torch.randn(3, 7))
    batch = {"start": torch.tensor([1, 2, 0]), "end": torch.tensor([3, 2, 0])}
    gold = span_loss(logits, batch)
    # A teacher that agrees with the model adds nothing; one that disagrees adds a positive term.
    assert torch.isclose(span_loss(logits, batch, logits, distill_weight=0.5, temperature=2.0), 0.5 * gold)
    other = (torch.randn(3, 7), torch.randn(3, 7))
    assert span_loss(logits, batch, other, distill_weight=0.5, temperature=2.0) > 0.5 * gold
    assert torch.equal(span_loss(logits, batch, other, distill_weight=0.0), gold)
    # Padding (a large negative logit on both sides) holds no probability and adds no divergence.
    padded = tuple(torch.cat([x, torch.full((3, 5), -1e4)], dim=1) for x in logits)
    padded_other = tuple(torch.cat([x, torch.full((3, 5), -1e4)], dim=1) for x in other)
    assert torch.isclose(
        span_loss(padded, batch, padded_other, distill_weight=1.0, temperature=2.0),
        span_loss(logits, batch, other, distill_weight=1.0, temperature=2.0),
    )


def test_a_smaller_reader_distilled_from_a_shipped_one_learns_exports_and_loads(workspace, trained, tmp_path, capsys):
    teacher = tmp_path / "teacher"
    assert main(_args(workspace, trained, "--epochs", "10", "--export", str(teacher))) == 0
    student = tmp_path / "student"
    options = ("--epochs", "10", "--frozen-layers", "0", "--encoder-layers", "1",
               "--teacher", str(teacher / WEIGHTS_FILE), "--distill-weight", "0.5")
    assert main(_args(workspace, student, *options)) == 0
    log = _log(student)
    assert log[-1]["loss"] < 0.6 * log[0]["loss"]

    out = tmp_path / "models"
    assert main(_args(workspace, student, *options, "--export", str(out))) == 0
    state = load_file(out / WEIGHTS_FILE)
    assert not any(name.startswith("encoder.encoder.layer.1.") for name in state)
    assert any(name.startswith("encoder.encoder.layer.0.") for name in state)
    meta = json.loads((out / WEIGHTS_FILE).with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["base_model"]["fingerprint"]["num_hidden_layers"] == 1
    teacher_sha256 = sha256_file(teacher / WEIGHTS_FILE)
    assert meta["data_sha256"]["teacher"] == teacher_sha256
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "bottom 1 layers" in card and f"Distilled from `{WEIGHTS_FILE}` (sha256 `{teacher_sha256[:16]}…`)" in card

    reader = TorchReader.load(weights_path=out / WEIGHTS_FILE, base_dir=workspace / "base")
    assert len(reader.model.encoder.encoder.layer) == 1
    passages = [c for _, c, _ in EXAMPLES]
    assert all(passages[s.passage][s.start : s.end] == s.text for s in reader.read(EXAMPLES[0][0], passages).spans)

    # Changing the teacher's weights changes the run: it does not resume over them.
    (teacher / WEIGHTS_FILE).write_bytes((teacher / WEIGHTS_FILE).read_bytes() + b" ")
    capsys.readouterr()
    assert main(_args(workspace, student, *options)) == 2
    assert "teacher_sha256" in capsys.readouterr().err


def test_a_base_cannot_keep_more_layers_than_it_has(workspace):
    with pytest.raises(ReaderUnavailableError, match="has 2 layers; cannot keep 3"):
        load_base(workspace / "base", 3)


def test_a_student_starts_from_the_chosen_teacher_layers_with_its_embeddings_and_head(workspace):
    teacher, _ = load_base(workspace / "base")
    with torch.no_grad():
        for param in teacher.parameters():
            param.add_(torch.randn_like(param))  # unlike any fresh model
    student, _ = load_base(workspace / "base", 1)
    start_from_teacher(student, teacher, "1")
    pairs = [
        (student.encoder.encoder.layer[0], teacher.encoder.encoder.layer[1]),
        (student.encoder.embeddings, teacher.encoder.embeddings),
        (student.qa_outputs, teacher.qa_outputs),
    ]
    for mine, theirs in pairs:
        for (name, value), (_, expected) in zip(mine.state_dict().items(), theirs.state_dict().items()):
            assert torch.equal(value, expected), name
    with pytest.raises(ValueError, match="give 1 indices of the teacher's 2 layers"):
        start_from_teacher(student, teacher, "0,1")
    with pytest.raises(ValueError, match="give 1 indices"):
        start_from_teacher(student, teacher, "2")


def test_teacher_layers_need_a_teacher(workspace, tmp_path):
    with pytest.raises(ValueError, match="needs a teacher"):
        main(_args(workspace, tmp_path / "run", "--encoder-layers", "1", "--teacher-layers", "0"))


def test_tune_reads_score_counts_gold_spans_and_agreement(workspace, trained, tmp_path, capsys):
    exported = tmp_path / "reader"
    assert main(_args(workspace, trained, "--epochs", "10", "--export", str(exported))) == 0
    reader = TorchReader.load(weights_path=exported / WEIGHTS_FILE, base_dir=workspace / "base")
    reads = [{"id": f"q{i}", "question": q, "passages": [c, FILLER], "answers": [a]} for i, (q, c, a) in enumerate(EXAMPLES)]
    reads.append({"id": "none", "question": EXAMPLES[0][0], "passages": [FILLER], "answers": []})
    reads_file = tmp_path / "reads.json"
    reads_file.write_text(json.dumps(reads, ensure_ascii=False), encoding="utf-8")
    expected_gold = sum(reader.read(r["question"], r["passages"]).best.text == r["answers"][0] for r in reads[:-1])
    sure = sum(reader.read(r["question"], r["passages"]).probability >= 0.55 for r in reads)

    capsys.readouterr()
    score(reads_file, workspace / "base", exported / WEIGHTS_FILE, [exported], 0.55)
    reference, candidate = capsys.readouterr().out.splitlines()
    assert reference.startswith(f"reference: gold best span {expected_gold}/{len(EXAMPLES)} answerable reads")
    # The same weights as a candidate agree with the reference everywhere.
    assert candidate == f"{exported}: " + reference.split(": ", 1)[1]
    assert f"where it is sure {sure}/{sure}; same side of 0.55 {len(reads)}/{len(reads)}" in candidate


def test_tune_reads_become_answerable_and_unanswerable_passages(tmp_path, workspace):
    questions = [
        {"id": "t1", "question": "谁主持？", "answers": ["张三"], "kind": "person", "split": "tune",
         "evidence": "会议由张三主持。", "evidence_start": 0, "evidence_end": 8},
        {"id": "t2", "question": "谁讲话？", "answers": [], "kind": "unanswerable", "split": "tune",
         "evidence": None, "evidence_start": None, "evidence_end": None},
    ]
    questions_file = tmp_path / "questions.jsonl"
    questions_file.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    gold = "张三是市长。会议由张三主持。"  # the answer's text occurs before its gold sentence
    elsewhere = "张三是市长。"  # the answer's text, not its sentence: left out
    reads = [
        {"id": "t1", "question": "谁主持？", "answers": ["张三"], "passages": [gold, elsewhere, FILLER]},
        {"id": "t2", "question": "谁讲话？", "answers": [], "passages": [gold]},
    ]
    reads_file = tmp_path / "reads.json"
    reads_file.write_text(json.dumps(reads, ensure_ascii=False), encoding="utf-8")

    items = load_article_set(questions_file).items
    article = "会议由张三主持。"  # the text the gold sentence's offsets point into

    data = squad(reads_file, items, article)
    qas = {(p["context"], qa["question"]): qa for p in data["data"][0]["paragraphs"] for qa in p["qas"]}
    assert set(qas) == {(gold, "谁主持？"), (FILLER, "谁主持？"), (gold, "谁讲话？")}
    [answer] = qas[gold, "谁主持？"]["answers"]
    assert answer == {"text": "张三", "answer_start": gold.index("会议") + 3}
    assert qas[FILLER, "谁主持？"]["is_impossible"] and qas[gold, "谁讲话？"]["is_impossible"]

    held_out = hash_bucket("t1", 2)
    kept = squad(reads_file, items, article, folds=2, hold_out=held_out)
    asked = {qa["question"] for p in kept["data"][0]["paragraphs"] for qa in p["qas"]}
    assert "谁主持？" not in asked and ("谁讲话？" in asked) == (hash_bucket("t2", 2) != held_out)

    path = tmp_path / "article.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    examples = read_examples(path)
    assert sorted(e.answerable for e in examples) == [False, False, True]
    assert [e.context[e.start : e.end] for e in examples if e.answerable] == ["张三"]


def test_bfloat16_only_where_the_cpu_says_it_has_the_instructions(monkeypatch):
    assert bf16_autocast(torch.device("meta")) is False
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert bf16_autocast(torch.device("cpu")) is True
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
    assert bf16_autocast(torch.device("cpu")) is False


def test_the_model_card_names_the_licence_of_every_source_sampled_or_not(tmp_path):
    sources = []
    for name, questions in (("cmrc2018_train.json", 2), ("drcd-simplified.json", 1)):
        path = tmp_path / name
        path.write_text(json.dumps(_squad(EXAMPLES), ensure_ascii=False), encoding="utf-8")
        sources.append((path, questions))
    sampled = sample(sources)
    assert [article["title"] for article in sampled["data"]] == ["cmrc2018_train.json", "drcd-simplified.json"]
    assert [sum(len(p["qas"]) for p in a["paragraphs"]) for a in sampled["data"]] == [2, 1]
    assert sample(sources) == sampled and sample(sources, seed=8) != sampled
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps(sampled, ensure_ascii=False), encoding="utf-8")
    article = tmp_path / "article.json"
    article.write_text(json.dumps({"version": TUNE_READS_VERSION, "data": []}), encoding="utf-8")
    assert data_sources(replay) == ["cmrc2018_train.json", "drcd-simplified.json"]
    assert data_sources(article) == [TUNE_READS_SOURCE] and data_sources(sources[0][0]) == ["cmrc2018_train.json"]

    meta = json.loads((Path(__file__).parents[1] / "qa" / "models" / "reader.json").read_text(encoding="utf-8"))
    shipped = model_card(meta)  # named by its files: CMRC train and DRCD
    assert "CC BY-SA 4.0" in shipped and "CC BY-SA 3.0" in shipped and "tune split" not in shipped
    meta["training"] = {**meta["training"], "train_file": str(replay), "more_train": [str(article)],
                        "sources": data_sources(replay)[:1] + data_sources(article)}
    meta["data_sha256"] = {**meta["data_sha256"], "more_train": ["0" * 64]}
    card = model_card(meta)
    assert "CC BY-SA 4.0" in card and "CC BY-SA 3.0" not in card and "The article's tune split" in card
