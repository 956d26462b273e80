"""Files written whole or not at all (`qa.model_cache.write_atomically`)."""

import stat

import pytest

from qa.model_cache import write_atomically


def test_the_new_content_replaces_the_old_and_others_can_read_it(tmp_path):
    path = tmp_path / "sub" / "weights.bin"
    write_atomically(path, lambda temporary: temporary.write_bytes(b"old"))
    write_atomically(path, lambda temporary: temporary.write_bytes(b"new"))
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["weights.bin"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path):
    path = tmp_path / "verifier.json"
    path.write_text("kept", encoding="utf-8")

    def half_then_fail(temporary):
        temporary.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt  # a run stopped midway

    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, half_then_fail)
    assert path.read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["verifier.json"]
