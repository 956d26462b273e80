"""The SentencePiece tokenizer answering reads gives the converted model's fast tokenizer's ids and offsets."""

import json

import pytest

from eval.datasets import ARTICLE_SET, DEV_SET, FRESH_SET
from qa.tokenization import SENTENCEPIECE_FILE, TOKENIZER_FILE, load_tokenizer

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def both(embedder):
    from tokenizers import Tokenizer

    folder = embedder.model_dir
    return load_tokenizer(folder), Tokenizer.from_file(str(folder / TOKENIZER_FILE))


def _questions() -> list[str]:
    return [json.loads(line)["question"] for path in (ARTICLE_SET, FRESH_SET, DEV_SET)
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_folders_carry_the_sentencepiece_model(embedder):
    from qa.model_registry import encoder_dir

    assert (embedder.model_dir / SENTENCEPIECE_FILE).is_file()
    assert (encoder_dir(embedder.cache_dir) / SENTENCEPIECE_FILE).is_file()


def test_ids_and_offsets_are_the_fast_tokenizers_on_the_article_and_its_questions(both, article):
    ours, fast = both
    texts = [line for line in article.split("\n") if line.strip()] + _questions()
    for text in texts:
        expected = fast.encode(text, add_special_tokens=False)
        assert ours.pieces(text) == (expected.ids, expected.offsets), text[:40]
    fast.enable_truncation(512)
    assert ours.encode(texts, 512) == [encoding.ids for encoding in fast.encode_batch(texts)]


def test_long_texts_keep_their_first_pieces_between_the_special_tokens(both, article):
    ours, _ = both
    (ids,) = ours.encode([article], 20)
    assert len(ids) == 20 and (ids[0], ids[-1]) == (ours.bos_id, ours.eos_id)
    assert ids[1:-1] == ours.pieces(article)[0][:18]
    (whole,) = ours.encode([article], 512)
    assert ours.clip(whole, 20) == ids and ours.clip(ids, 20) == ids


@pytest.mark.parametrize("text", ["新增停车位４．５万个（ＡＢＣ）", "How many pocket parks?", "气温超过30℃。", "大连\u200b湾"])
def test_offsets_index_the_original_characters(both, text):
    ours, _ = both
    ids, offsets = ours.pieces(text)
    assert len(ids) == len(offsets) and offsets[-1][1] == len(text)
    assert all(0 <= start <= end <= len(text) for start, end in offsets)
    assert all(previous[1] <= current[0] for previous, current in zip(offsets[1:], offsets[2:]))  # no overlap after
