"""jieba's dictionary and word tags loaded from the model cache's pickles (`qa.word_tables.load_word_dictionary`,
`load_word_tags`)."""

import subprocess
import sys

import jieba
import pytest

from qa.word_tables import load_word_dictionary
from qa.settings import REPO_DIR

SENTENCE = "大连湾海底隧道和光明路延伸工程实现通车，渤海大道全线贯通。"


@pytest.fixture(scope="module")
def loaded_by_jieba() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def test_first_load_writes_the_pickle_and_the_next_reads_the_same_dictionary(tmp_path, loaded_by_jieba):
    first = jieba.Tokenizer()
    load_word_dictionary(tmp_path, first)
    assert first.initialized
    assert [path.name for path in tmp_path.iterdir()] == [f"jieba-{jieba.__version__}.pickle"]

    second = jieba.Tokenizer()
    load_word_dictionary(tmp_path, second)
    assert second.initialized
    assert second.total == loaded_by_jieba.total
    assert second.FREQ == loaded_by_jieba.FREQ
    assert second.lcut(SENTENCE) == loaded_by_jieba.lcut(SENTENCE)


@pytest.mark.parametrize("damage", [b"", b"\x80\x05not a pickle", None])
def test_a_damaged_pickle_is_loaded_through_jieba_and_written_again(tmp_path, loaded_by_jieba, damage):
    load_word_dictionary(tmp_path, jieba.Tokenizer())
    path = tmp_path / f"jieba-{jieba.__version__}.pickle"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage is None else damage)

    tokenizer = jieba.Tokenizer()
    load_word_dictionary(tmp_path, tokenizer)
    assert tokenizer.initialized and tokenizer.FREQ == loaded_by_jieba.FREQ
    assert path.read_bytes() == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


def test_an_unwritable_cache_still_loads(tmp_path, loaded_by_jieba):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    tokenizer = jieba.Tokenizer()
    load_word_dictionary(blocked / "cache", tokenizer)
    assert tokenizer.lcut(SENTENCE) == loaded_by_jieba.lcut(SENTENCE)


def test_another_dictionary_is_left_to_jieba(tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("渤海大道 5 ns\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer(str(words))
    load_word_dictionary(tmp_path, tokenizer)
    assert not tokenizer.initialized
    assert list(tmp_path.iterdir()) == [words]


TAGS_SCRIPT = """
import sys
from qa.word_tables import load_word_dictionary, load_word_tags
if sys.argv[2] == "posseg first":
    import jieba.posseg
load_word_dictionary(sys.argv[1])
load_word_tags(sys.argv[1])
import jieba.posseg
table = jieba.posseg.dt.word_tag_tab
jieba.posseg.dt.load_word_tag(jieba.posseg.dt.tokenizer.get_dict_file())  # jieba's own table, read again
assert table == jieba.posseg.dt.word_tag_tab, "another table"
print(jieba.posseg.lcut(sys.argv[3]))
"""


def _tags_in_fresh_process(cache, order: str = "") -> str:
    """jieba.posseg's tags of SENTENCE in a new process (it is imported once a process), after `load_word_tags`."""
    done = subprocess.run([sys.executable, "-c", TAGS_SCRIPT, str(cache), order, SENTENCE],
                          cwd=REPO_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_word_tags_are_jiebas_own_first_from_jieba_then_from_the_cache(tmp_path):
    import jieba.posseg

    expected = str(jieba.posseg.lcut(SENTENCE)) + "\n"
    path = tmp_path / f"jieba-{jieba.__version__}-tags.pickle"
    assert _tags_in_fresh_process(tmp_path) == expected
    assert path.is_file()
    written = path.stat().st_mtime_ns
    assert _tags_in_fresh_process(tmp_path) == expected
    assert path.stat().st_mtime_ns == written  # read, not written again

    path.write_bytes(b"\x80\x05not a pickle")
    assert _tags_in_fresh_process(tmp_path) == expected
    assert path.stat().st_size > 1_000_000  # written again from jieba's table


def test_word_tags_imported_before_are_left_as_they_are(tmp_path):
    _tags_in_fresh_process(tmp_path, "posseg first")
    assert not list(tmp_path.glob("*-tags.pickle"))
