"""Tests of `training.drcd`: DRCD in Simplified Chinese, every kept answer where its offset says."""

from __future__ import annotations

import json
from pathlib import Path

import opencc
import pytest

from eval.datasets import load_squad
from training.drcd import convert, locate, main

DRCD = Path(__file__).resolve().parents[2] / "shared" / "data" / "drcd"


@pytest.mark.skipif(not DRCD.is_dir(), reason="needs ../shared/data/drcd")
@pytest.mark.parametrize("name", ["DRCD_dev.json", "DRCD_test.json"])
def test_every_kept_answer_is_an_exact_substring_at_its_offset(name):
    source = json.loads((DRCD / name).read_text(encoding="utf-8"))
    converted, counts = convert(source, opencc.OpenCC("t2s"))
    answers = [
        (paragraph["context"], answer)
        for article in converted["data"] for paragraph in article["paragraphs"]
        for qa in paragraph["qas"] for answer in qa["answers"]
    ]
    assert counts["kept"] >= 0.99 * counts["questions"] > 3000
    assert all(context[a["answer_start"] : a["answer_start"] + len(a["text"])] == a["text"] for context, a in answers)
    to_simplified = opencc.OpenCC("t2s")
    first = converted["data"][0]["paragraphs"][0]
    assert first["context"] == to_simplified.convert(first["context"])  # already Simplified: nothing left to convert
    assert first["context"] != source["data"][0]["paragraphs"][0]["context"]


def test_an_answer_is_found_again_nearest_its_place_or_dropped():
    data = {"data": [{"title": "會議", "paragraphs": [{"id": "p1", "context": "會議由張三主持。張三發言後，會議結束。", "qas": [
        {"id": "a", "question": "誰發言？", "answers": [{"text": "張三", "answer_start": 8}]},
        {"id": "b", "question": "誰主持？", "answers": [{"text": "李四", "answer_start": 3}]},
    ]}]}]}
    converted, counts = convert(data, opencc.OpenCC("t2s"))
    paragraph = converted["data"][0]["paragraphs"][0]
    assert paragraph["context"] == "会议由张三主持。张三发言后，会议结束。"
    assert paragraph["qas"] == [{"id": "a", "question": "谁发言？", "answers": [{"text": "张三", "answer_start": 8}]}]
    assert counts == {"questions": 2, "kept": 1, "answers_dropped": 1}
    assert locate("张三张三", "张三", 3) == 2 and locate("张三", "李四", 0) is None


def test_the_command_writes_one_simplified_squad_file(tmp_path):
    traditional = {"data": [{"paragraphs": [{"context": "大連灣海底隧道於五月通車。", "qas": [
        {"id": "q", "question": "隧道何時通車？", "answers": [{"text": "五月", "answer_start": 8}]}]}]}]}
    files = []
    for name in ("a.json", "b.json"):
        files.append(tmp_path / name)
        files[-1].write_text(json.dumps(traditional, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "simplified.json"
    assert main([*map(str, files), "--out", str(out)]) == 0
    squad = load_squad(out)
    assert [item.question for item in squad.items] == ["隧道何时通车？"] * 2
    assert all(span.start == 8 for item in squad.items for span in item.answer_spans)
