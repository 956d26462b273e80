"""Tests of eval.report and eval.charts on hand-made runs."""

import json
from dataclasses import replace

import pytest

from eval import charts, report
from eval.datasets import EvalSet
from eval.records import Record
from eval.runner import Run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ENV = {"date": "2024-01-01T00:00:00+08:00", "git_commit": "abc1234", "machine": "test machine"}


def rec(qid: str, split: str, answerable: bool = True, score: float = 0.9, em: float = 1.0, **changes) -> Record:
    record = Record(
        id=qid, question=f"问题{qid}？", kind="number" if answerable else "unanswerable", split=split,
        answerable=answerable, answers=("三座",) if answerable else (), prediction="三座", found=True,
        score=score, start=3, end=5, doc_id="P1", em=em if answerable else 0.0, f1=em if answerable else 0.0,
        overlaps_gold=False, retrieval_known=answerable, gold_rank=1 if answerable else None, evidence=(),
        timings={"retrieve": 0.01, "extract": 0.02}, wall_s=0.035,
    )
    return replace(record, **changes)


def make_run(records, threshold: float = 0.5) -> Run:
    return Run(mode="reader", records=tuple(records), default_threshold=threshold,
               settings={"answer_threshold": 0.0, "evidence_count": 5}, build_s=1.0, answer_s=2.0)


def make_report(records, path: str = "/data/tiny.json", name: str = "tiny-reader") -> dict:
    eval_set = EvalSet(source="squad", path=path, items=(), total_items=len(records))
    return report.build_report(name, eval_set, make_run(records), env=ENV)


RECORDS = [
    rec("t1", "tune", score=0.9),
    rec("t2", "tune", answerable=False, score=0.3),
    rec("r1", "report", score=0.5),  # a threshold above 0.5 loses it
    rec("r2", "report", answerable=False, score=0.2),
]


def test_the_threshold_is_tuned_on_the_tune_split_only():
    figures = make_report(RECORDS)["metrics"]
    tuned = figures["tuned"]
    assert tuned["threshold"] == pytest.approx(0.6)  # midway between the tune scores 0.9 and 0.3
    assert tuned["tune_value"] == 1.0
    assert tuned["splits"]["report"]["em"] == 0.5  # r1 abstained at 0.6, r2 rightly abstained
    assert figures["default"]["report"]["em"] == 1.0  # at the own threshold 0.5 both are right


def test_without_tune_questions_no_threshold_is_chosen():
    built = make_report([r for r in RECORDS if r.split == "report"])
    assert built["metrics"]["tuned"] is None
    assert set(built["metrics"]["default"]) == {"report", "all"}
    assert "No tune-split questions were run" in report.render_markdown(built)


def test_records_carry_their_result_at_the_own_threshold():
    entries = {e["id"]: e for e in make_report(RECORDS)["records"]}
    assert entries["t2"]["result"] == {"answered": False, "em": 1.0, "f1": 1.0, "error": None}
    assert entries["t1"]["timings"] == {"retrieve": 0.01, "extract": 0.02}


def test_cmrc_files_show_the_published_figures_beside_ours():
    cmrc = report.render_markdown(make_report(RECORDS, path="/data/cmrc2018_dev.json", name="cmrc2018_dev-reader"))
    section = cmrc.split("## Published CMRC 2018 figures")[1]
    assert "| ours (reader mode, 4 questions) | 100.0 | 100.0 |" in section
    assert "| RoBERTa-wwm-ext, dev | 67.4 | 87.2 |" in section
    assert "| humans, test set | 92.4 | 97.9 |" in section
    assert "Published CMRC 2018" not in report.render_markdown(make_report(RECORDS))


def test_compare_lists_changed_questions_and_tolerates_old_reports():
    before = make_report(RECORDS)
    after = make_report([rec("t1", "tune", score=0.9, em=0.0), *RECORDS[1:3], rec("r3", "report")])
    before["records"][1].pop("result")  # an older report without per-question results for t2
    comparison = report.compare(before, after)
    assert [c["id"] for c in comparison["worse"]] == ["t1"] and comparison["better"] == []
    assert comparison["added"] == ["r3"] and comparison["removed"] == ["r2"]
    em = next(d for d in comparison["metrics"] if d["metric"] == "em")
    assert em["before"] == 1.0 and em["delta"] == pytest.approx(0.75 - 1.0)


def test_write_report_compares_with_the_file_it_replaces(tmp_path):
    first = report.write_report(make_report(RECORDS), tmp_path)
    assert first["comparison"] is None
    second = report.write_report(make_report([rec("t1", "tune", em=0.0), *RECORDS[1:]]), tmp_path)
    assert [c["id"] for c in second["comparison"]["worse"]] == ["t1"]
    stored = json.loads((tmp_path / "tiny-reader.json").read_text(encoding="utf-8"))
    assert stored["comparison"]["worse"][0]["f1_before"] == 1.0
    assert "**Worse (1)**" in (tmp_path / "tiny-reader.md").read_text(encoding="utf-8")


def test_read_previous_ignores_unreadable_files(tmp_path):
    (tmp_path / "bad.json").write_text("{broken", encoding="utf-8")
    (tmp_path / "other.json").write_text('{"name": "x"}', encoding="utf-8")
    assert report.read_previous(tmp_path / "bad.json") is None
    assert report.read_previous(tmp_path / "other.json") is None
    assert report.read_previous(tmp_path / "missing.json") is None


def test_charts_are_written_as_png_files(tmp_path):
    paths = charts.write_charts(make_report(RECORDS), tmp_path, "tiny")
    assert [p.name for p in paths] == ["tiny-scores.png", "tiny-latency.png", "tiny-reliability.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000


def test_reliability_diagram_copes_with_no_candidates(tmp_path):
    empty = {"bins": [{"low": 0.0, "high": 1.0, "count": 0, "mean_score": None, "accuracy": None}],
             "ece": None, "candidates": 0}
    path = charts.reliability_diagram(empty, tmp_path / "r.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_every_error_lists_the_verifiers_reasons_and_the_operating_point_is_described():
    wrong = rec("w1", "report", em=0.0, prediction="两座", why=(("labelled_otherwise", -2.5), ("rules_score", 1.25)))
    declined = rec("w2", "report", score=0.1, why=(("reader_margin", -1.5),))
    verifier = {"threshold": 0.17, "operating_point": {"mix": "4 answerable : 1 unanswerable", "noans_floor": 90.0},
                "out_of_fold": {"article_tune": {"questions": 5, "hasans_em": 60.0, "hasans_f1": 70.0, "noans": 91.0,
                                                 "expected_f1": 74.2}},
                "fold_seeds": [1, 2, 3], "questions": {"article": 5},
                "weights": {"article": 30.0, "cmrc2018_train": 0.3}, "commit": "0123456789"}
    eval_set = EvalSet(source="squad", path="/data/tiny.json", items=(), total_items=6)
    built = report.build_report("tiny", eval_set, make_run([*RECORDS, wrong, declined], 0.5),
                                env={**ENV, "verifier": verifier})
    markdown = report.render_markdown(built)
    assert "`w1` 问题w1？ — gold: 三座 — system: 两座 (score 0.90) — why: labelled_otherwise -2.50; rules_score +1.25" in markdown
    assert "system: (abstained) (score 0.10) — why: reader_margin -1.50" in markdown
    assert "a question weighs 30 in article, 0.3 in cmrc2018_train" in markdown
    assert "averaged over 3 draws of the folds" in markdown
    assert "at least **0.17**" in markdown and "4 answerable : 1 unanswerable" in markdown and "| 5 questions | 60.0" in markdown
