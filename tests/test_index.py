"""The FAISS index: saved with its metadata, reused when it matches, rebuilt with a message when it does not."""

import json


from qa.index import METADATA_FILE, DenseIndex, load_or_build

TEXTS = ["第一句。", "第二句。", "第三句。"]
CHUNKING = {"passage": "sentence", "segmentation_sha256": "abc"}


def test_build_save_load_round_trip(tmp_path, fake_embedder):
    built = load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    meta = json.loads((tmp_path / METADATA_FILE).read_text())
    assert meta["document_sha256"] == "doc-sha" and meta["model_id"] == fake_embedder.model_id
    assert meta["count"] == 3 and meta["chunking"] == CHUNKING and "faiss-cpu" in meta["versions"]
    loaded = DenseIndex.load(tmp_path)
    query = fake_embedder.encode_queries(["第二句。"])[0]
    assert loaded.search(query, 1) == built.search(query, 1)


def test_matching_index_is_reused_without_encoding(tmp_path, fake_embedder, capsys):
    load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    calls = fake_embedder.calls
    load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    assert fake_embedder.calls == calls
    assert "Building" not in capsys.readouterr().err.split("Index built")[-1]


def test_stale_index_is_rebuilt_with_the_reason(tmp_path, fake_embedder, capsys):
    load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    capsys.readouterr()
    load_or_build(tmp_path, TEXTS, fake_embedder, "other-doc", CHUNKING)
    err = capsys.readouterr().err
    assert "stale" in err and "document_sha256" in err
    assert json.loads((tmp_path / METADATA_FILE).read_text())["document_sha256"] == "other-doc"


def test_corrupt_index_is_rebuilt(tmp_path, fake_embedder, capsys):
    load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    (tmp_path / "sentences.faiss").write_bytes(b"garbage")
    capsys.readouterr()
    index = load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    assert "unreadable" in capsys.readouterr().err
    assert len(index) == 3


def test_missing_index_is_built_with_a_message(tmp_path, fake_embedder, capsys):
    load_or_build(tmp_path / "new", TEXTS, fake_embedder, "doc-sha", CHUNKING)
    assert "no index" in capsys.readouterr().err


def test_search_returns_cosines_best_first(fake_embedder):
    index = DenseIndex.build(TEXTS, fake_embedder, "doc-sha", CHUNKING)
    results = index.search(fake_embedder.encode_queries(["第三句。"])[0], 3)
    assert results[0][0] == 2 and abs(results[0][1] - 1.0) < 1e-5
    assert [s for _, s in results] == sorted((s for _, s in results), reverse=True)


def test_an_unwritable_index_folder_still_answers_from_memory(tmp_path, fake_embedder, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    index = load_or_build(blocker / "index", TEXTS, fake_embedder, "doc-sha", CHUNKING)
    assert len(index) == len(TEXTS)
    err = capsys.readouterr().err
    assert "not saved: cannot write" in err and "QA_INDEX_DIR" in err and "Traceback" not in err


def test_metadata_replaced_by_a_folder_is_rebuilt_in_memory(tmp_path, fake_embedder, capsys):
    load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    (tmp_path / METADATA_FILE).unlink()
    (tmp_path / METADATA_FILE).mkdir()
    index = load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    assert len(index) == len(TEXTS)
    err = capsys.readouterr().err
    assert "unreadable" in err and "not saved" in err


def test_vectors_damaged_in_place_are_caught_and_rebuilt(tmp_path, fake_embedder, capsys):
    from qa.index import INDEX_FILE

    built = load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    path = tmp_path / INDEX_FILE
    data = bytearray(path.read_bytes())
    data[-8:] = bytes(8) if data[-8:] != bytes(8) else b"\xff" * 8  # the same size, other bytes in the last vector
    path.write_bytes(bytes(data))
    capsys.readouterr()
    rebuilt = load_or_build(tmp_path, TEXTS, fake_embedder, "doc-sha", CHUNKING)
    assert "not those recorded" in capsys.readouterr().err
    assert rebuilt.metadata.vectors_sha256 == built.metadata.vectors_sha256
