"""Tests for qa.feedback and `qa feedback export`: verdicts stored with their answer, disputed ones exported as rows."""

from __future__ import annotations

import json
import sqlite3

import pytest

from qa.cli import main
from qa.feedback import FeedbackStore, disputed_rows
from qa.results import Answer, Evidence

SENTENCE = "2022年，大连建成112处口袋公园及多处停车场。"


def _answer(found: bool) -> Answer:
    evidence = Evidence(
        text=SENTENCE, start=600, end=600 + len(SENTENCE), score=0.9, doc_id="article", location="第1部分 · 第4段",
        section="", paragraph=4, paragraph_text=SENTENCE, paragraph_start=600, paragraph_end=600 + len(SENTENCE),
        pieces=((600, 600 + len(SENTENCE)),), paragraph_pieces=((600, 600 + len(SENTENCE)),),
    )
    if not found:
        return Answer("q", "", False, 0.1, None, None, None, [evidence])
    start = 600 + SENTENCE.index("112处")
    return Answer("q", "112处", True, 0.93, start, start + 4, "article", [evidence])


def test_each_verdict_is_stored_with_its_answer(tmp_path):
    store = FeedbackStore(tmp_path / "sub" / "feedback.sqlite")
    assert store.rows() == []  # nothing written yet: no file either
    first = store.add("like", "大连建成多少口袋公园？", "大连建成多少口袋公园？", _answer(True))
    second = store.add("wrong", "它在哪？", "口袋公园在哪？", _answer(False))
    rows = store.rows()
    assert [row["id"] for row in rows] == [first, second]
    assert rows[0]["verdict"] == "like" and rows[0]["answer"] == "112处" and rows[0]["found"] == 1
    assert rows[0]["score"] == pytest.approx(0.93) and rows[0]["sentence"] == SENTENCE
    assert rows[0]["location"] == "第1部分 · 第4段" and rows[0]["at"]
    assert rows[1]["question"] == "它在哪？" and rows[1]["understood"] == "口袋公园在哪？" and rows[1]["found"] == 0
    with sqlite3.connect(store.path) as connection:  # a plain SQLite file that staff can open with any tool
        assert connection.execute("SELECT count(*) FROM feedback").fetchone() == (2,)


def test_an_unknown_verdict_is_refused(tmp_path):
    with pytest.raises(ValueError, match="verdict"):
        FeedbackStore(tmp_path / "f.sqlite").add("meh", "q", "q", _answer(True))


def test_disputed_answers_become_rows_for_staff(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite")
    store.add("like", "a", "a", _answer(True))
    disliked = store.add("dislike", "大连建成多少口袋公园？", "大连建成多少口袋公园？", _answer(True))
    store.add("wrong", "渤海大道多长？", "渤海大道多长？", _answer(False))
    rows = disputed_rows(store)
    assert [row["id"] for row in rows] == [f"fb{disliked:05d}", f"fb{disliked + 1:05d}"]
    first, second = rows
    assert first["question"] == "大连建成多少口袋公园？" and first["answers"] == [] and first["kind"] == ""
    assert first["evidence"] == SENTENCE and (first["evidence_start"], first["evidence_end"]) == (600, 600 + len(SENTENCE))
    assert first["feedback"]["system_answer"] == "112处" and first["feedback"]["verdict"] == "dislike"
    assert second["feedback"]["system_answer"] is None and second["split"] == "tune"


def test_the_export_command_writes_jsonl(tmp_path, capsys):
    db, out = tmp_path / "f.sqlite", tmp_path / "disputed.jsonl"
    FeedbackStore(db).add("wrong", "渤海大道多长？", "渤海大道多长？", _answer(False))
    assert main(["feedback", "export", "--db", str(db), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 1 and rows[0]["question"] == "渤海大道多长？"
    assert "1 disputed answers" in capsys.readouterr().err
    assert main(["feedback", "export", "--db", str(db)]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == rows[0]["id"]


def test_an_unreadable_feedback_file_is_one_line(tmp_path, capsys):
    db = tmp_path / "f.sqlite"
    db.write_bytes(b"not a database at all" * 100)
    assert main(["feedback", "export", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot export the feedback") and len(err.strip().splitlines()) == 1
