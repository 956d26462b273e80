"""Tests of the extractive reader: windows, span decoding, the probability, and loading shipped weights.

They run on a tiny random BERT (2 layers, hidden 32) with a tiny XLM-R-style unigram tokenizer,
so they take seconds; `test_train_reader.py` reuses `build_tiny_base` and `EXAMPLES`.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from eval.metrics import exact_match

from qa.errors import EmptyQuestionError, ReaderUnavailableError
from qa.model_cache import sha256_file
from qa.models import MODELS_DIR, WEIGHTS_FILE
from qa.reader import NULL_INDEX, WindowSettings, clip_question, decode_spans, encode_windows
from qa.build.e5_weights import sentencepiece_model
from qa.build.span_model import TorchReader, load_base, load_shipped_weights, save_shipped_weights
from qa.tokenization import SENTENCEPIECE_FILE

# (question, context, answer): answers sit on token edges of the tiny tokenizer, except
# "2023年5月1日", which ends inside the vocabulary word "日正".
EXAMPLES = [
    ("大连新建了多少所幼儿园？", "2023年，大连新建幼儿园12所，新增学位5000个。", "12所"),
    ("口袋公园建成了多少处？", "去年全市建成口袋公园112处，新增停车位4.5万个。", "112处"),
    ("谁主持了会议？", "会议由市长张三主持，李四作了报告。", "张三"),
    ("海底隧道什么时候通车？", "大连湾海底隧道于2023年5月1日正式通车，全长5.1公里。", "2023年5月1日"),
    ("会议在哪里举行？", "会议在 Dalian Hall 举行，共有三百人参加。", "Dalian Hall"),
]
FILLER = "城市更美好，人民更幸福。老旧小区改造带给居民获得感。"
WORDS = ("大连", "幼儿园", "2023", "公园", "张三", "日正", "会议")
WINDOW = WindowSettings(max_seq_len=40, stride=8, max_question_tokens=12)
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def build_tiny_base(folder: Path, seed: int = 0) -> Path:
    """A Hugging Face folder like the converted e5: a unigram tokenizer with "▁" and a tiny random BertModel."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    texts = [FILLER] + [part for example in EXAMPLES for part in example]
    chars = sorted({ch for text in texts for ch in text if not ch.isspace()} - set(WORDS))
    # Words score better than their characters, so the unigram model keeps them whole.
    vocab = [(t, 0.0) for t in SPECIAL_TOKENS] + [("▁", -2.0)] + [(w, -3.0) for w in WORDS] + [(c, -5.0) for c in chars]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=SPECIAL_TOKENS.index("<unk>")))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        cls_token="<s>", sep_token="</s>", mask_token="<mask>",
    ).save_pretrained(folder)
    special = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}
    pieces, scores = zip(*vocab)
    (folder / SENTENCEPIECE_FILE).write_bytes(sentencepiece_model(pieces, scores, special, {}))
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128, pad_token_id=1,
    )
    BertModel(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    return build_tiny_base(tmp_path_factory.mktemp("tiny-base"))


@pytest.fixture
def tiny_reader(tiny_base) -> TorchReader:
    torch.manual_seed(0)
    model, tokenizer = load_base(tiny_base)
    return TorchReader(model, tokenizer, WINDOW)


def test_word_embeddings_are_frozen_and_not_shipped(tiny_base):
    model, _ = load_base(tiny_base)
    frozen = {name for name, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"encoder.embeddings.word_embeddings.weight"}
    shipped = model.shipped_parameters()
    assert "qa_outputs.weight" in shipped and "encoder.encoder.layer.1.output.dense.weight" in shipped
    assert frozen.isdisjoint(shipped)


def test_freezing_bottom_layers_keeps_them_out_of_training_and_export(tiny_base):
    model, _ = load_base(tiny_base)
    shipped = model.freeze(1).shipped_parameters()
    assert model.frozen_layers == 1
    assert all(name.startswith(("encoder.encoder.layer.1.", "qa_outputs.")) for name in shipped)
    assert "encoder.encoder.layer.1.output.dense.weight" in shipped and "qa_outputs.bias" in shipped
    assert not any(p.requires_grad for p in model.encoder.embeddings.parameters())
    assert len(model.freeze(0).shipped_parameters()) > len(shipped)  # freezing is undone
    with pytest.raises(ValueError, match="frozen_layers must be in 0..2"):
        model.freeze(3)


def test_long_passages_are_read_in_overlapping_windows(tiny_reader):
    question, context, _ = EXAMPLES[0]
    long_passage = FILLER * 3 + context
    encoding = encode_windows(tiny_reader.tokenizer, [question, question], [long_passage, context], WINDOW)
    mapping = encoding.passage_of
    assert mapping.count(0) > 2 and mapping.count(1) == 1
    covered = set()
    previous_end = None
    for w in (w for w in range(len(mapping)) if mapping[w] == 0):
        spans = [encoding.offsets[w][t] for t, s in enumerate(encoding.sequence_ids[w]) if s == 1]
        assert len(encoding.input_ids[w]) <= WINDOW.max_seq_len
        if previous_end is not None:
            assert spans[0][0] < previous_end  # consecutive windows overlap
        previous_end = spans[-1][1]
        covered.update(range(spans[0][0], spans[-1][1]))
    assert covered == set(range(len(long_passage)))


def test_spans_are_exact_slices_of_their_passages(tiny_reader):
    question, context, _ = EXAMPLES[4]
    passages = [FILLER * 2 + context, "天气 很好 ，Dalian Hall 在  海边。", context]
    result = tiny_reader.read(question, passages, top_n=40, max_answer_chars=8)
    assert 1 < len(result.spans) <= 40
    assert len({(s.passage, s.start, s.end) for s in result.spans}) == len(result.spans)
    assert [s.score for s in result.spans] == sorted((s.score for s in result.spans), reverse=True)
    for span in result.spans:
        assert passages[span.passage][span.start : span.end] == span.text
        assert span.text == span.text.strip() and 1 <= len(span.text) <= 8
    assert {s.passage for s in result.spans} == {0, 1, 2}
    assert 0.0 <= result.probability <= 1.0 and result.best == result.spans[0]


def _logits_for(reader, question, passages):
    encoding = encode_windows(reader.tokenizer, [question] * len(passages), passages, reader.window)
    width = encoding.batch()[0].shape[1]
    return encoding, np.zeros((len(encoding), width)), np.zeros((len(encoding), width))


def _token_at(encoding, window, char):
    """The passage token of `window` that starts at character `char`."""
    return next(
        t for t, s in enumerate(encoding.sequence_ids[window]) if s == 1 and encoding.offsets[window][t][0] == char
    )


def test_decode_takes_the_best_span_and_computes_the_probability(tiny_reader):
    question, context, answer = EXAMPLES[0]
    other = EXAMPLES[2][1]
    encoding, start, end = _logits_for(tiny_reader, question, [context, other])
    at = context.index(answer)
    start[0, _token_at(encoding, 0, at)] = 10.0
    end[0, _token_at(encoding, 0, at + len(answer) - 1)] = 10.0
    start[1, _token_at(encoding, 1, 0)] = 1.0
    start[:, NULL_INDEX], end[:, NULL_INDEX] = [1.5, 0.5], [1.0, 3.0]  # null scores 2.5 and 3.5

    result = decode_spans(encoding, start, end, [context, other], top_n=3, max_answer_chars=30)
    assert (result.best.passage, result.best.text, result.best.score) == (0, answer, 20.0)
    assert result.null_score == 2.5  # the window most willing to answer
    # Softmax over each passage's best span (20 and 1) and the null score.
    assert result.probability == pytest.approx(math.exp(20) / (math.exp(20) + math.exp(1) + math.exp(2.5)))

    start[:, NULL_INDEX] = end[:, NULL_INDEX] = 15.0
    doubtful = decode_spans(encoding, start, end, [context, other], top_n=3, max_answer_chars=30)
    assert doubtful.best.text == answer and doubtful.probability < 1e-4


def test_decode_respects_max_answer_chars(tiny_reader):
    question, context, _ = EXAMPLES[1]
    encoding, start, end = _logits_for(tiny_reader, question, [context])
    start[0, _token_at(encoding, 0, 0)] = 10.0
    end[0, _token_at(encoding, 0, context.index("，"))] = 10.0
    wide = decode_spans(encoding, start, end, [context], top_n=1, max_answer_chars=30)
    narrow = decode_spans(encoding, start, end, [context], top_n=5, max_answer_chars=4)
    assert wide.best.text == context[: context.index("，") + 1]
    assert all(len(span.text) <= 4 for span in narrow.spans) and narrow.best.score == 10.0


def test_read_validates_its_arguments(tiny_reader):
    with pytest.raises(EmptyQuestionError):
        tiny_reader.read("  ", ["文本"])
    with pytest.raises(ValueError, match="passages is empty"):
        tiny_reader.read("问题？", [])
    with pytest.raises(ValueError, match="top_n"):
        tiny_reader.read("问题？", ["文本"], top_n=0)


def test_long_questions_are_clipped_to_their_first_tokens(tiny_reader):
    question = EXAMPLES[0][0] * 5
    clipped = clip_question(tiny_reader.tokenizer, question, 6)
    assert question.startswith(clipped) and len(tiny_reader.tokenizer.pieces(clipped)[0]) == 6
    assert clip_question(tiny_reader.tokenizer, EXAMPLES[0][0], 64) == EXAMPLES[0][0]


def test_a_joined_question_keeps_its_terms_whole_and_fits_the_window(tiny_reader):
    count = lambda text: len(tiny_reader.tokenizer.pieces(text)[0])
    long_question, terms = EXAMPLES[1][0] * 4, "幼儿园 多少？"
    joined = tiny_reader.joined_question(long_question, terms)
    assert joined.endswith(f" {terms}") and long_question.startswith(joined[: -len(terms) - 1])
    assert count(joined) <= WINDOW.max_question_tokens < count(f"{long_question} {terms}")
    assert tiny_reader.joined_question(EXAMPLES[0][0][:3], terms) == f"{EXAMPLES[0][0][:3]} {terms}"
    too_many = terms * WINDOW.max_question_tokens
    assert tiny_reader.joined_question(long_question, too_many) == clip_question(
        tiny_reader.tokenizer, too_many, WINDOW.max_question_tokens)


def test_window_settings_reject_a_stride_as_long_as_the_passage_part():
    with pytest.raises(ValueError, match="must exceed the stride"):
        WindowSettings(max_seq_len=40, stride=24, max_question_tokens=12)


def _trained_looking_model(base: Path):
    """A base model with a head and layers that differ from the base, as after training."""
    torch.manual_seed(1)
    model, tokenizer = load_base(base)
    with torch.no_grad():
        for param in model.shipped_parameters().values():
            param.add_(0.05 * torch.randn_like(param))
    return model, tokenizer


def test_exported_weights_round_trip_without_word_embeddings(tiny_base, tmp_path):
    model, tokenizer = _trained_looking_model(tiny_base)
    path = save_shipped_weights(model, WINDOW, tmp_path, steps=7)
    state = load_file(path)
    assert set(state) == set(model.shipped_parameters())
    assert not any("word_embeddings" in name for name in state)
    assert {t.dtype for t in state.values()} == {torch.float16}
    meta = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["weights_sha256"] == sha256_file(path) and meta["steps"] == 7
    assert meta["window"] == {"max_seq_len": 40, "stride": 8, "max_question_tokens": 12}

    loaded = TorchReader.load(weights_path=path, base_dir=tiny_base, quantize=False)
    assert loaded.window == WINDOW
    for name, param in loaded.model.shipped_parameters().items():
        torch.testing.assert_close(param, model.get_parameter(name), atol=1e-3, rtol=1e-3)
    question, context, _ = EXAMPLES[0]
    original = TorchReader(model, tokenizer, WINDOW).read(question, [context])
    again = loaded.read(question, [context])
    assert [s.text for s in again.spans] == [s.text for s in original.spans]
    assert again.spans[0].score == pytest.approx(original.spans[0].score, abs=1e-2)

    model.freeze(1)  # a partial export: the embeddings and layer 0 come from the base
    partial = save_shipped_weights(model, WINDOW, tmp_path / "partial")
    assert json.loads(partial.with_suffix(".json").read_text(encoding="utf-8"))["frozen_layers"] == 1
    base_model, _ = load_base(tiny_base)
    overlaid = TorchReader.load(weights_path=partial, base_dir=tiny_base, quantize=False).model
    for name, param in overlaid.named_parameters():
        source = model if name.startswith(("encoder.encoder.layer.1.", "qa_outputs.")) else base_model
        torch.testing.assert_close(param, source.get_parameter(name), atol=1e-3, rtol=1e-3)

    quantized = TorchReader.load(weights_path=path, base_dir=tiny_base, quantize=True)
    assert any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in quantized.model.modules())
    for span in quantized.read(question, [context, FILLER]).spans:
        assert [context, FILLER][span.passage][span.start : span.end] == span.text


def test_onnx_export_reads_as_the_torch_reader_and_is_built_once(tiny_base, tmp_path, capsys, monkeypatch):
    from qa.model_registry import exported_reader, reader_dir
    from qa.onnx_runtime import READER_FILE, READER_INT8_FILE
    from qa.reader import OnnxReader

    model, tokenizer = _trained_looking_model(tiny_base)
    path = save_shipped_weights(model, WINDOW, tmp_path / "weights", steps=7)
    base = tmp_path / "cache" / "tiny-base"  # the export lands beside its base folder
    shutil.copytree(tiny_base, base)
    table = model.encoder.get_input_embeddings().weight.detach().numpy()

    folder = exported_reader(path, base, lambda: table)
    assert "Exporting" in capsys.readouterr().err
    exported, torch_reader = OnnxReader.load(folder, table), TorchReader.load(weights_path=path, base_dir=base)
    assert exported.window == WINDOW
    for question, context, _ in EXAMPLES:
        ours, theirs = exported.read(question, [context, FILLER * 3]), torch_reader.read(question, [context, FILLER * 3])
        assert [(s.passage, s.text) for s in ours.spans] == [(s.passage, s.text) for s in theirs.spans]
        assert ours.probability == pytest.approx(theirs.probability, abs=1e-4)

    assert exported_reader(path, base, lambda: table) == folder and "Exporting" not in capsys.readouterr().err
    (folder / READER_INT8_FILE).write_bytes(b"damaged")
    assert exported_reader(path, base, lambda: table) == folder and "Exporting" in capsys.readouterr().err
    assert OnnxReader.load(folder, table).read(EXAMPLES[0][0], [EXAMPLES[0][1]]).best is not None
    int8 = json.loads((folder / "record.json").read_text(encoding="utf-8"))["int8"]
    assert int8["checks"] == 3 and int8["passed"] == (int8["same_answers"] == 3)
    monkeypatch.setattr("qa.reader.exact_int8_products", lambda: False)  # a CPU whose int8 products saturate
    assert OnnxReader.load(folder, table, quantized=True).graph.name == READER_FILE
    monkeypatch.setattr("qa.reader.exact_int8_products", lambda: True)
    quantized = OnnxReader.load(folder, table, quantized=True)
    assert quantized.graph.name == (READER_INT8_FILE if int8["passed"] else READER_FILE)
    span = quantized.read(EXAMPLES[0][0], [EXAMPLES[0][1]]).best
    assert EXAMPLES[0][1][span.start : span.end] == span.text

    path.with_suffix(".json").unlink()
    path.unlink()
    with pytest.raises(ReaderUnavailableError, match="missing"):
        reader_dir(path, cache_dir=tmp_path)


def test_missing_weights_raise_reader_unavailable(tiny_base, tmp_path):
    with pytest.raises(ReaderUnavailableError, match="missing"):
        TorchReader.load(weights_path=tmp_path / WEIGHTS_FILE, base_dir=tiny_base)
    model, _ = _trained_looking_model(tiny_base)
    path = save_shipped_weights(model, WINDOW, tmp_path)
    path.with_suffix(".json").unlink()
    with pytest.raises(ReaderUnavailableError, match="missing"):
        TorchReader.load(weights_path=path, base_dir=tiny_base)


def test_weights_for_another_base_or_damaged_raise_reader_unavailable(tiny_base, tmp_path):
    model, _ = _trained_looking_model(tiny_base)
    path = save_shipped_weights(model, WINDOW, tmp_path / "ok")
    other_base = build_tiny_base(tmp_path / "other-base", seed=5)  # same shapes, other word embeddings
    with pytest.raises(ReaderUnavailableError, match="another base"):
        TorchReader.load(weights_path=path, base_dir=other_base)

    state = load_file(path)
    state["qa_outputs.weight"] = state["qa_outputs.weight"] + 1
    save_file(state, path)
    with pytest.raises(ReaderUnavailableError, match="sha256"):
        TorchReader.load(weights_path=path, base_dir=tiny_base)

    del state["qa_outputs.bias"]  # a file that is intact but lacks a tensor
    save_file(state, path)
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "weights_sha256": sha256_file(path)}), encoding="utf-8")
    fresh, _ = load_base(tiny_base)
    with pytest.raises(ReaderUnavailableError, match=r"does not fit the encoder: missing \['qa_outputs.bias'\]"):
        load_shipped_weights(fresh, path)


SHIPPED_CASES = [  # tune-split questions of eval/questions.jsonl, with the sentence that holds the answer
    ("大连优美整洁的城市环境更考验什么？", "大连优美、整洁的城市环境彰显为民情怀，更考验治理能力。", "治理能力"),
    ("和合大院的居民清扫小区是为了什么？", "和合大院的居民清扫小区，美化家园环境。", "美化家园环境"),
    ("乘客孙晋对地铁5号线开通最大的感受是什么？", "“地铁5号线的开通，给我最大的感受就是方便、快捷。", "方便、快捷"),
    ("在农村，已经把大党委建起来的村子有多少个？", "具备条件的702个村全部完成“大党委”组建。", "702个"),
    ("渤海大道什么时候全线通车？", "2022年6月30日，大连市规模最大、标准最高、里程最长的城市快速路——渤海大道实现全线通车。", "2022年6月30日"),
]


@pytest.fixture(scope="module")
def shipped_reader() -> TorchReader:
    if not (MODELS_DIR / WEIGHTS_FILE).is_file():
        pytest.skip("the reader weights are not exported to qa/models yet")
    from qa.model_registry import model_dir

    return TorchReader.load(base_dir=model_dir())


@pytest.mark.model
@pytest.mark.parametrize("question, sentence, expected", SHIPPED_CASES)
def test_shipped_reader_answers_article_questions(question, sentence, expected, article, shipped_reader):
    assert sentence in article
    result = shipped_reader.read(question, [sentence, "春风拂面、阳光和煦，附近的居民都喜欢到这里休闲。"])
    assert result.best.passage == 0
    assert exact_match(result.best.text, [expected]) == 1.0, result.best.text


def _same_windows_as_transformers(folder: Path, questions: list[str], passages: list[str], window: WindowSettings) -> None:
    """encode_windows (SentencePiece) gives the windows of transformers' fast tokenizer (what the reader was trained on)."""
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    clipped = []
    for question in questions:
        offsets = hf.backend_tokenizer.encode(question, add_special_tokens=False).offsets
        clipped.append(question[: offsets[window.max_question_tokens - 1][1]] if len(offsets) > window.max_question_tokens else question)
    expected = hf(clipped, passages, truncation="only_second", max_length=window.max_seq_len, stride=window.stride,
                  return_overflowing_tokens=True, return_offsets_mapping=True)
    ours = encode_windows(load_base(folder)[1], questions, passages, window)
    assert ours.input_ids == expected["input_ids"]
    assert ours.passage_of == expected["overflow_to_sample_mapping"]
    assert ours.offsets == [[tuple(pair) for pair in offsets] for offsets in expected["offset_mapping"]]
    assert ours.sequence_ids == [expected.sequence_ids(w) for w in range(len(expected["input_ids"]))]


def test_windows_are_those_of_transformers_tokenizer(tiny_base):
    questions = [q for q, _, _ in EXAMPLES] + [EXAMPLES[0][0] * 4]
    passages = [FILLER * 3 + c for _, c, _ in EXAMPLES] + [FILLER]
    _same_windows_as_transformers(tiny_base, questions, passages, WINDOW)


@pytest.mark.model
def test_windows_of_article_paragraphs_are_those_of_transformers_tokenizer(embedder, article):
    paragraphs = [p for p in article.split("\n") if len(p) > 100][:12]
    window = WindowSettings(max_seq_len=192, stride=48, max_question_tokens=32)
    questions = [case[0] for case in SHIPPED_CASES] * 3
    _same_windows_as_transformers(embedder.model_dir, questions[: len(paragraphs)], paragraphs, window)


def test_windows_cover_a_long_passage_to_its_end(tiny_base):
    """Every passage character lies in some window (transformers 5.17 dropped the last windows of long passages)."""
    _, tokenizer = load_base(tiny_base)
    passage = FILLER * 12 + EXAMPLES[0][1]
    encoding = encode_windows(tokenizer, [EXAMPLES[0][0]], [passage], WINDOW)
    covered = set()
    for w in range(len(encoding)):
        offsets = encoding.offsets[w]
        for t, seq in enumerate(encoding.sequence_ids[w]):
            if seq == 1:
                covered.update(range(*offsets[t]))
    assert len(encoding) > 3
    assert covered == {i for i, ch in enumerate(passage) if not ch.isspace()}
