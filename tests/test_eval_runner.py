"""Tests of eval.datasets, eval.runner and the `python -m eval` command line, with a fake answerer."""

import json

import pytest

from eval import cli
from eval.datasets import EvalDataError, Span, load_article_set, load_squad, sample_items, squad_split, subset
from eval.runner import SharedModelsFactory, run_set
from qa.errors import QAError
from qa.pipeline import shipped_verifier
from qa.reader import ReaderResult, ReaderSpan
from qa.results import Answer, Evidence
from qa.settings import Settings

FAKE_DEFAULT_THRESHOLD = 0.5


class FakeAnswerer:
    """Answers from a table {question: (span text, score)} by finding the span in its documents.

    Sentences end at "。". The evidence is the sentence holding the span, then the next one (wrapping),
    so a gold sentence two or more sentences away is a retrieval miss.
    """

    def __init__(self, texts: dict[str, str], settings: Settings | None, table: dict[str, tuple[str, float]]):
        self.settings = settings if settings is not None else Settings()
        self.table = table
        self.sentences = []  # (doc_id, start, end) in document order
        for doc_id, text in texts.items():
            start = 0
            for end in [i + 1 for i, ch in enumerate(text) if ch == "。"] + [len(text)]:
                if end > start:
                    self.sentences.append((doc_id, start, end, text))
                start = end

    @property
    def threshold(self) -> float:
        t = self.settings.answer_threshold
        return FAKE_DEFAULT_THRESHOLD if t is None else t

    def _evidence(self, index: int) -> list[Evidence]:
        picked = [self.sentences[(index + k) % len(self.sentences)] for k in range(2)]
        return [
            Evidence(text=text[s:e], start=s, end=e, score=1.0 - k / 10, doc_id=doc_id, location="", section="",
                     paragraph=1, paragraph_text=text, paragraph_start=0, paragraph_end=len(text),
                     pieces=((s, e),), paragraph_pieces=((0, len(text)),))
            for k, (doc_id, s, e, text) in enumerate(picked)
        ]

    def answer(self, question: str) -> Answer:
        span, score = self.table.get(question, ("", 0.0))
        timings = {"retrieve": 0.001 * len(question), "extract": 0.002}
        for index, (doc_id, s, e, text) in enumerate(self.sentences):
            at = text.find(span, s, e) if span else -1
            if at != -1:
                found = score >= self.threshold
                return Answer(question=question, text=span if found else "", found=found, score=score,
                              start=at if found else None, end=at + len(span) if found else None,
                              doc_id=doc_id if found else None, evidence=self._evidence(index), timings=timings)
        return Answer(question=question, text="", found=False, score=0.0, start=None, end=None, doc_id=None,
                      evidence=self._evidence(0), timings=timings)


class FakeFactory:
    """Builds FakeAnswerers and remembers which documents each build covered."""

    def __init__(self, table: dict[str, tuple[str, float]], article: str = ""):
        self.table = table
        self.article = article
        self.builds: list[tuple[tuple[str, ...], float | None]] = []

    def for_article(self, settings: Settings | None = None) -> FakeAnswerer:
        self.builds.append((("article",), None if settings is None else settings.answer_threshold))
        return FakeAnswerer({"article": self.article}, settings, self.table)

    def from_texts(self, texts: dict[str, str], settings: Settings | None = None) -> FakeAnswerer:
        self.builds.append((tuple(texts), None if settings is None else settings.answer_threshold))
        return FakeAnswerer(texts, settings, self.table)


# --- the article set -----------------------------------------------------------------------------

ARTICLE = "大连建成112处口袋公园。新增停车位4.5万个。星海街的居民王伟说好。全市有近3000名志愿者。"
QUESTIONS = [  # id, question, answers, kind, split, evidence sentence
    ("a1", "建成了几处口袋公园？", ["112处", "112"], "number", "tune", "大连建成112处口袋公园。"),
    ("a2", "新增多少停车位？", ["4.5万个"], "number", "report", "新增停车位4.5万个。"),
    ("a3", "称赞的居民叫什么？", ["王伟"], "person", "report", "星海街的居民王伟说好。"),
    ("a4", "沈阳有多少口袋公园？", [], "unanswerable", "tune", None),
    ("a5", "志愿者有多少？", ["近3000名"], "number", "report", "全市有近3000名志愿者。"),
    ("a6", "大连的市长是谁？", [], "unanswerable", "report", None),
    ("a7", "有多少名志愿者参与？", ["近3000名"], "paraphrase", "tune", "全市有近3000名志愿者。"),
]
FIRST_TABLE = {
    "建成了几处口袋公园？": ("112处", 0.9),  # right
    "新增多少停车位？": ("4.5万", 0.8),  # boundary
    "称赞的居民叫什么？": ("星海街", 0.6),  # wrong span in the gold sentence
    "沈阳有多少口袋公园？": ("112处", 0.3),  # unanswerable, below the threshold: right
    "志愿者有多少？": ("112处", 0.7),  # gold sentence not in the evidence: retrieval miss
    "大连的市长是谁？": ("王伟", 0.55),  # unanswerable, answered
    "有多少名志愿者参与？": ("近3000名", 0.4),  # right span, but below the threshold: false abstention
}


def write_article_set(path, questions=QUESTIONS):
    lines = []
    for qid, question, answers, kind, split, evidence in questions:
        start = ARTICLE.find(evidence) if evidence else None
        lines.append(json.dumps({
            "id": qid, "question": question, "answers": answers, "kind": kind, "evidence": evidence,
            "evidence_start": start, "evidence_end": None if evidence is None else start + len(evidence),
            "split": split,
        }, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_article_set_finds_answer_spans_inside_the_evidence(tmp_path):
    eval_set = load_article_set(write_article_set(tmp_path / "q.jsonl"))
    assert eval_set.source == "article" and eval_set.total_items == 7
    a1 = eval_set.items[0]
    assert a1.answers == ("112处", "112") and a1.answerable and a1.split == "tune"
    assert a1.answer_spans == (Span(4, 8), Span(4, 7))
    assert a1.evidence_spans == (Span(0, 13),)
    assert not eval_set.items[3].answerable and eval_set.items[3].evidence_spans == ()


@pytest.mark.parametrize("line, message", [
    ('{"id": "x", "question": "q"', ":1: bad JSON"),
    ('{"id": "x", "question": "q", "answers": [], "kind": "number", "split": "tune"}', "exactly when"),
    ('{"id": "x", "question": "q", "answers": [], "kind": "unanswerable", "split": "dev"}', "split 'dev'"),
    ('{"id": "x", "question": "q", "answers": ["乙"], "kind": "person", "split": "tune", '
     '"evidence": "甲。", "evidence_start": 0, "evidence_end": 2}', "not inside its evidence"),
])
def test_load_article_set_rejects_bad_lines_with_a_clear_message(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(EvalDataError, match=message):
        load_article_set(path)


def test_run_set_article_mode_answers_at_threshold_zero(tmp_path):
    factory = FakeFactory(FIRST_TABLE, ARTICLE)
    run = run_set(load_article_set(write_article_set(tmp_path / "q.jsonl")), "article", factory, progress=False)
    assert run.default_threshold == FAKE_DEFAULT_THRESHOLD
    # one probe with the caller's settings (for the threshold), then the run itself at 0.0
    assert factory.builds == [(("article",), None), (("article",), 0.0)]
    by_id = {r.id: r for r in run.records}
    assert [r.id for r in run.records] == [q[0] for q in QUESTIONS]
    assert by_id["a7"].found and by_id["a7"].em == 1.0  # a candidate below the default threshold is kept
    assert by_id["a2"].overlaps_gold and by_id["a2"].f1 == pytest.approx(0.8)
    assert by_id["a5"].retrieval_known and by_id["a5"].gold_rank is None
    assert by_id["a3"].gold_rank == 1 and not by_id["a3"].overlaps_gold
    assert by_id["a1"].timings == {"retrieve": pytest.approx(0.01), "extract": 0.002}


# --- SQuAD files ---------------------------------------------------------------------------------

SQUAD = {
    "version": "v2.0",
    "data": [
        {"title": "甲", "paragraphs": [
            {"id": "P1", "context": "甲城有三座桥。桥长五百米。", "qas": [
                {"id": "q1", "question": "甲城有几座桥？", "answers": [{"text": "三座", "answer_start": 3}] * 3},
                {"id": "q2", "question": "桥多长？", "answers": [{"text": "五百米", "answer_start": 0}]},  # wrong start
                {"id": "q3", "question": "桥是谁建的？", "answers": [], "is_impossible": True,
                 "plausible_answers": [{"text": "甲城", "answer_start": 0}]},
            ]},
        ]},
        {"title": "乙", "paragraphs": [
            {"id": "P2", "context": "乙村种苹果。", "qas": [
                {"id": "q4", "question": "乙村种什么？", "answers": [{"text": "苹果", "answer_start": 3}],
                 "is_impossible": False},
                {"id": "q5", "question": "乙村有多少人？", "answers": [{"text": "", "answer_start": -1}],
                 "is_impossible": True},
            ]},
            {"context": "丙山很高。", "qas": [
                {"id": "q6", "question": "丙山高吗？", "answers": [{"text": "很高", "answer_start": 2}]},
            ]},
        ]},
    ],
}
SQUAD_TABLE = {"甲城有几座桥？": ("三座", 0.9), "桥多长？": ("五百米", 0.8), "桥是谁建的？": ("甲城", 0.2),
               "乙村种什么？": ("苹果", 0.7), "乙村有多少人？": ("苹果", 0.6), "丙山高吗？": ("很高", 0.9)}


@pytest.fixture
def squad_file(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_squad_reads_impossible_questions_and_repairs_offsets(squad_file):
    eval_set = load_squad(squad_file)
    items = {item.id: item for item in eval_set.items}
    assert set(eval_set.documents) == {"P1", "P2", "p1-1"}  # the third paragraph has no id
    assert items["q1"].answers == ("三座",) and items["q1"].answer_spans == (Span(3, 5, "P1"),)
    assert items["q1"].evidence_spans == (Span(3, 4, "P1"),)
    assert items["q2"].answer_spans == (Span(9, 12, "P1"),)  # found by text, start was wrong
    assert not items["q3"].answerable and items["q3"].answers == () and items["q3"].kind == "unanswerable"
    assert not items["q5"].answerable
    assert items["q6"].doc_id == "p1-1" and items["q4"].kind == "answerable"
    assert all(item.split == squad_split(item.id) for item in eval_set.items)


def test_sample_takes_n_of_each_class_with_a_fixed_seed(squad_file):
    eval_set = load_squad(squad_file)
    first, again = sample_items(eval_set, 1), sample_items(eval_set, 1)
    assert [i.id for i in first.items] == [i.id for i in again.items]
    assert sorted(i.answerable for i in first.items) == [False, True]
    assert first.sample == 1 and first.seed is not None and first.total_items == 6
    assert len(sample_items(eval_set, 10).items) == 6


def test_subset_filters_the_split_then_limits(squad_file):
    eval_set = load_squad(squad_file)
    report = subset(eval_set, "report")
    assert report.items and all(item.split == "report" for item in report.items)
    assert [i.id for i in subset(eval_set, "all", 2).items] == ["q1", "q2"]


def test_reader_mode_builds_one_answerer_per_paragraph(squad_file):
    factory = FakeFactory(SQUAD_TABLE)
    run = run_set(load_squad(squad_file), "reader", factory, progress=False)
    probe, *builds = factory.builds
    assert probe == (("P1",), None)
    assert builds == [(("P1",), 0.0), (("P2",), 0.0), (("p1-1",), 0.0)]
    by_id = {r.id: r for r in run.records}
    assert by_id["q2"].gold_rank == 1 and by_id["q2"].em == 1.0  # its start was repaired
    assert by_id["q5"].found and by_id["q5"].score == 0.6  # the unanswerable question got a candidate


class FakeReader:
    """Reads like `qa.reader.SpanReader`: the best span is the first answer of its table found in the passage."""

    def __init__(self, table: dict[str, str]):
        self.table = table
        self.passages: list[list[str]] = []

    def read(self, question, passages):
        self.passages.append(passages)
        wanted = self.table.get(question, "")
        start = passages[0].find(wanted) if wanted else -1
        if start < 0:
            return ReaderResult(spans=(), null_score=0.0, probability=0.0)
        return ReaderResult((ReaderSpan(0, start, start + len(wanted), wanted, 9.0),), null_score=1.0, probability=0.7)


def test_reader_only_mode_reads_each_whole_paragraph_and_always_answers(squad_file):
    reader = FakeReader({"甲城有几座桥？": "三座", "桥是谁建的？": "甲城", "丙山高吗？": "不在"})
    factory = SharedModelsFactory(embedder=object(), reader=reader)
    eval_set = load_squad(squad_file)
    run = run_set(eval_set, "reader-only", factory, progress=False)
    assert run.default_threshold == 0.0 and run.mode == "reader-only"
    assert sorted(map(tuple, reader.passages)) == sorted((eval_set.documents[i.doc_id],) for i in eval_set.items)
    by_id = {r.id: r for r in run.records}
    assert by_id["q1"].found and by_id["q1"].em == 1.0 and (by_id["q1"].start, by_id["q1"].end) == (3, 5)
    assert by_id["q1"].score == 0.7 and by_id["q1"].gold_rank == 1  # the paragraph is given, so "retrieved"
    assert by_id["q3"].found  # no abstention: an unanswerable question gets its best span
    assert not by_id["q6"].found and by_id["q6"].prediction == ""  # no span at all


def test_reader_only_mode_needs_the_trained_reader(squad_file, monkeypatch):
    import qa.pipeline

    monkeypatch.setattr(qa.pipeline, "shipped_reader", lambda embedder: None)
    with pytest.raises(QAError, match="needs the trained reader"):
        run_set(load_squad(squad_file), "reader-only", SharedModelsFactory(embedder=object()), progress=False)


def test_an_empty_question_in_a_set_is_a_miss_not_a_crash(tmp_path):
    class RefusingAnswerer(FakeAnswerer):
        def answer(self, question):
            if not question.strip():
                raise ValueError("the question is empty")  # as qa.Answerer does
            return super().answer(question)

    class RefusingFactory(FakeFactory):
        def from_texts(self, texts, settings=None):
            return RefusingAnswerer(texts, settings, self.table)

    data = {"data": [{"paragraphs": [{"id": "P", "context": "大连有三座桥。", "qas": [
        {"id": "e", "question": "", "answers": [{"text": "三座", "answer_start": 3}]},
        {"id": "f", "question": "有几座桥？", "answers": [{"text": "三座", "answer_start": 3}]},
    ]}]}]}
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run = run_set(load_squad(path), "reader", RefusingFactory({"有几座桥？": ("三座", 0.9)}), progress=False)
    by_id = {r.id: r for r in run.records}
    assert not by_id["e"].found and by_id["e"].em == 0.0 and by_id["e"].prediction == ""
    assert by_id["f"].em == 1.0


def test_open_mode_indexes_every_paragraph_even_when_sampling(squad_file):
    factory = FakeFactory(SQUAD_TABLE)
    sampled = sample_items(load_squad(squad_file), 1)
    run = run_set(sampled, "open", factory, progress=False)
    assert factory.builds[-1] == (("P1", "P2", "p1-1"), 0.0)
    assert len(factory.builds) == 2 and len(run.records) == 2


def test_run_set_refuses_a_mode_that_does_not_fit_the_set(squad_file):
    with pytest.raises(ValueError, match="does not fit"):
        run_set(load_squad(squad_file), "article", FakeFactory({}), progress=False)


def test_the_real_answerer_fits_the_runner(squad_file, fake_embedder):
    # qa.Answerer with the deterministic fake embedder and the rules alone (no model at all): checks the
    # contract (offsets, threshold, timings).
    eval_set = load_squad(squad_file)
    factory = SharedModelsFactory(embedder=fake_embedder)
    run = run_set(eval_set, "reader", factory, settings=Settings(use_reader=False), progress=False)
    assert run.default_threshold == shipped_verifier().threshold
    items = {item.id: item for item in eval_set.items}
    for record in run.records:
        assert {ref.doc_id for ref in record.evidence} == {items[record.id].doc_id}
        assert record.timings and record.wall_s >= max(record.timings.values())
        if record.retrieval_known:  # every paragraph has at most two sentences, all in the evidence
            assert record.gold_rank is not None


# --- command line, end to end --------------------------------------------------------------------

def run_cli(argv, table, article=ARTICLE) -> int:
    return cli.main([*argv, "--no-progress"], factory=FakeFactory(table, article))


def test_cli_writes_figures_and_compares_with_the_previous_run(tmp_path):
    questions = write_article_set(tmp_path / "q.jsonl")
    out = tmp_path / "reports"
    assert run_cli(["--set", str(questions), "--out", str(out)], FIRST_TABLE) == 0
    report = json.loads((out / "article.json").read_text(encoding="utf-8"))
    all_ = report["metrics"]["default"]["all"]
    assert report["meta"]["default_threshold"] == FAKE_DEFAULT_THRESHOLD
    assert all_["em"] == pytest.approx(2 / 7)
    assert all_["f1"] == pytest.approx(2.8 / 7)
    assert all_["has_ans_em"] == pytest.approx(1 / 5) and all_["has_ans_f1"] == pytest.approx(1.8 / 5)
    assert all_["no_ans_acc"] == 0.5
    assert all_["abstain_precision"] == 0.5 and all_["abstain_recall"] == 0.5
    assert all_["recall@1"] == pytest.approx(0.8) and all_["mrr"] == pytest.approx(0.8)
    assert report["metrics"]["default"]["tune"]["em"] == pytest.approx(2 / 3)
    tuned = report["metrics"]["tuned"]
    assert tuned["threshold"] == pytest.approx(0.35) and tuned["tune_value"] == 1.0
    assert tuned["splits"]["report"]["f1"] == pytest.approx(0.2)
    assert report["errors"]["counts"] == {"retrieval_miss": 1, "boundary": 1, "wrong_span": 1,
                                          "false_abstention": 1, "answered_unanswerable": 1}
    assert report["by_kind"]["number"]["f1"] == pytest.approx(0.6)
    assert report["comparison"] is None
    markdown = (out / "article.md").read_text(encoding="utf-8")
    for heading in ("## What was run", "## Headline figures", "## Latency", "## Threshold sweep",
                    "## By kind", "## Errors", "## Calibration", "## Compared with the previous run"):
        assert heading in markdown
    assert "| F1 (overall) | 66.7 | 20.0 | 40.0 |" in markdown
    assert (out / "latest.md").read_text(encoding="utf-8") == markdown
    assert "CMRC" not in markdown

    second = dict(FIRST_TABLE)
    second["称赞的居民叫什么？"] = ("王伟", 0.6)  # better
    second["建成了几处口袋公园？"] = ("112处口袋公园", 0.9)  # worse: F1 0.5
    assert run_cli(["--set", str(questions), "--out", str(out)], second) == 0
    report = json.loads((out / "article.json").read_text(encoding="utf-8"))
    comparison = report["comparison"]
    assert [c["id"] for c in comparison["better"]] == ["a3"]
    assert [c["id"] for c in comparison["worse"]] == ["a1"]
    f1_delta = next(d for d in comparison["metrics"] if d["metric"] == "f1")
    assert f1_delta["delta"] == pytest.approx(3.3 / 7 - 2.8 / 7)
    markdown = (out / "article.md").read_text(encoding="utf-8")
    comparison_md = markdown.split("## Compared with the previous run")[1]
    assert "| F1 (overall) | 40.0 | 47.1 | +7.1 |" in comparison_md
    assert "**Better (1)**" in comparison_md and "`a3`" in comparison_md
    assert "星海街 → 王伟" in comparison_md
    assert "**Worse (1)**" in comparison_md and "112处 → 112处口袋公园" in comparison_md


def test_cli_quick_runs_get_their_own_name_and_leave_latest_alone(tmp_path):
    questions = write_article_set(tmp_path / "q.jsonl")
    out = tmp_path / "reports"
    assert run_cli(["--set", str(questions), "--out", str(out), "--limit", "2"], FIRST_TABLE) == 0
    assert (out / "article-limit2.json").exists()
    assert not (out / "latest.md").exists() and not (out / "article.json").exists()


def test_cli_accepts_the_reader_only_mode():
    args = cli.build_parser().parse_args(["--squad", "x.json", "--mode", "reader-only"])
    assert cli.default_name(args) == "x-reader-only"


def test_cli_squad_reader_run_names_itself_after_the_file(tmp_path, squad_file):
    out = tmp_path / "reports"
    assert run_cli(["--squad", str(squad_file), "--sample", "1", "--out", str(out)], SQUAD_TABLE) == 0
    report = json.loads((out / "tiny-reader-sample1.json").read_text(encoding="utf-8"))
    assert report["meta"]["mode"] == "reader" and report["meta"]["sample"] == 1
    assert report["meta"]["questions_run"] == 2 and report["meta"]["questions_in_file"] == 6


@pytest.mark.parametrize("make_argv, message", [
    (lambda tmp: ["--set", str(tmp / "missing.jsonl")], "file not found"),
    (lambda tmp: ["--squad", str(tmp / "missing.json")], "file not found"),
    (lambda tmp: ["--squad", str(write(tmp / "bad.json", "{not json"))], "bad JSON"),
    (lambda tmp: ["--set", str(write(tmp / "bad.jsonl", '{"id": 1}'))], "field 'id'"),
    (lambda tmp: ["--squad", str(write(tmp / "list.json", "[]"))], "not a SQuAD-format file"),
])
def test_cli_reports_bad_input_in_one_line(tmp_path, capsys, make_argv, message):
    assert run_cli([*make_argv(tmp_path), "--out", str(tmp_path / "out")], {}) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("eval: error:")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("extra", [["--sample", "3"], ["--name", "../elsewhere"], ["--limit", "0"]])
def test_cli_rejects_arguments_that_do_not_fit(tmp_path, extra):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(["--set", str(write_article_set(tmp_path / "q.jsonl")), *extra], FIRST_TABLE)
    assert exit_info.value.code == 2
