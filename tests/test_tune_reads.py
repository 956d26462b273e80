"""`python -m training.tune_reads record` keeps what the shipped pipeline's reader reads, for tune questions only."""

import json

import pytest

from eval.datasets import DEV_SET
from training.tune_reads import main

pytestmark = pytest.mark.model


def test_record_reads_the_tune_questions_of_the_set_it_is_given(tmp_path):
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    asked = next(row for row in rows if row["answers"] and row["kind"] == "number")
    held_out = {**asked, "id": "held-out", "split": "report"}
    question_set = tmp_path / "questions.jsonl"
    question_set.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in (asked, held_out)),
                            encoding="utf-8")
    out = tmp_path / "reads.json"

    assert main(["record", "--set", str(question_set), "--out", str(out)]) == 0

    reads = json.loads(out.read_text(encoding="utf-8"))
    assert reads and {read["id"] for read in reads} == {asked["id"]}
    assert all(read["answers"] == asked["answers"] for read in reads)
    assert any(asked["evidence"] in passage for read in reads for passage in read["passages"])
