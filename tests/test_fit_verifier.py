"""`qa fit-verifier` on a tiny set with the real models: it writes a verifier that reproduces its fitted scores."""

import json
from pathlib import Path

import numpy as np
import pytest

from eval.runner import SharedModelsFactory
from qa.verify.features import FEATURES
from qa.verify.verifier import Verifier
from training.verifier import fit_softmax, flatten, load_examples, main, shares, weighted_path

pytestmark = pytest.mark.model

ARTICLE_QUESTIONS = [
    {"id": "t1", "question": "2022年大连建成了多少处口袋公园？", "answers": ["112处"], "kind": "number", "split": "tune"},
    {"id": "t2", "question": "渤海大道什么时候全线通车？", "answers": ["2022年6月30日"], "kind": "date", "split": "tune"},
    {"id": "t3", "question": "大连市的市长是谁？", "answers": [], "kind": "unanswerable", "split": "tune"},
    {"id": "t4", "question": "渤海大道全长多少公里？", "answers": [], "kind": "unanswerable", "split": "tune"},
    {"id": "r1", "question": "大连湾海底隧道有限公司副总工程师是谁？", "answers": ["孙磊"], "kind": "person", "split": "report"},
]
SQUAD = {"version": "tiny", "data": [
    {"paragraphs": [{"id": "P1", "context": "2019年，青山市新建了5所学校。学校由市教育局负责管理，校长是李明。", "qas": [
        {"id": "P1-1", "question": "2019年青山市新建了几所学校？", "answers": [{"text": "5所", "answer_start": 11}]},
        {"id": "P1-2", "question": "学校的校长是谁？", "answers": [{"text": "李明", "answer_start": 31}]},
    ]}]},
    {"paragraphs": [{"id": "P2", "context": "绿水河全长120公里，流经三个县。河上有一座大桥，建于1998年。", "qas": [
        {"id": "P2-1", "question": "绿水河全长多少公里？", "answers": [{"text": "120公里", "answer_start": 5}]},
        {"id": "P2-2", "question": "河上的大桥建于哪一年？", "answers": [{"text": "1998年", "answer_start": 27}]},
    ]}]},
]}


def _evidence(question: dict, article: str) -> dict:
    """The item's evidence: the article sentence holding its answer (or any sentence for an unanswerable one)."""
    answer = question["answers"][0] if question["answers"] else "口袋公园"
    at = article.index(answer)
    start, end = article.rfind("。", 0, at) + 1, article.index("。", at) + 1
    return {**question, "evidence": article[start:end], "evidence_start": start, "evidence_end": end}


def test_fit_verifier_writes_a_verifier_that_reproduces_its_scores(tmp_path, embedder, article):
    article_set, squad, out, examples = (tmp_path / name for name in ("q.jsonl", "s.json", "v.json", "examples"))
    article_set.write_text("".join(json.dumps(_evidence(q, article), ensure_ascii=False) + "\n"
                                   for q in ARTICLE_QUESTIONS), encoding="utf-8")
    squad.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    argv = ["--article-set", str(article_set), "--squad", f"{squad}:0.5", "--negative-share", "1.0", "--cut-share", "1.0",
            "--noans-floor", "0",
            "--examples", str(examples), "--out", str(out), "--quiet"]
    assert main(argv, factory=SharedModelsFactory(embedder=embedder)) == 0

    verifier = Verifier.load(out)
    cached = [e for name in ("article", "s", "s-cut") for e in load_examples(examples / f"{name}.json.gz")[0]]
    sources = [e.source for e in cached]
    assert sources.count("article") == 4, "the report split is never read"
    assert sources.count("cmrc") == 4 and sources.count("cmrc-negative") >= 1
    assert sources.count("cmrc-cut") == 4  # each paragraph keeps a sentence once the answer's is cut out
    assert verifier.features == FEATURES and 0.0 < verifier.threshold < 1.0
    record = verifier.provenance
    assert record["questions"]["article"] == 4 and record["seed"] and len(record["commit"]) >= 7
    assert record["fold_seeds"] == [record["seed"] + draw for draw in range(8)]
    assert record["candidates"] == sum(len(e.em) for e in cached) and record["right_candidates"] >= 4
    assert len(record["reader"]["weights_sha256"]) == len(record["reader"]["graph_sha256"]) == 64
    assert load_examples(examples / "s.json.gz", reader=record["reader"]) is not None
    other_reader = {**record["reader"], "graph_sha256": "0" * 64}  # another reader's candidates are described again
    assert load_examples(examples / "s.json.gz", reader=other_reader) is None

    assert record["data"]["squad_weights"] == {"s": 0.5}
    weights = [record["article_weight"] if e.source == "article" else 0.5 for e in cached]
    X, y, weights, groups, answerable = flatten(cached, weights)
    model = fit_softmax(X, y, weights, groups, answerable, record["l2"])
    expected = shares(X, groups, *model)
    loaded = [verdict.probability for question in np.unique(groups)
              for verdict in verifier.verdicts([dict(zip(FEATURES, row)) for row in X[groups == question]])]
    assert np.allclose(loaded, expected, atol=1e-9)
    assert all(sum(expected[groups == question]) < 1.0 for question in np.unique(groups))  # no answer keeps a share

    again = tmp_path / "again.json"
    assert main([*argv[:-3], "--out", str(again), "--quiet"], factory=SharedModelsFactory(embedder=embedder)) == 0
    first, second = json.loads(out.read_text()), json.loads(again.read_text())
    assert first["model"] == second["model"] and first["threshold"] == second["threshold"]  # reproduced

    uncut = tmp_path / "uncut.json"  # another share draws other questions: described again, not read from the cache
    other = [*argv[:argv.index("--cut-share")], "--cut-share", "0", *argv[argv.index("--cut-share") + 2 : -3]]
    assert main([*other, "--out", str(uncut), "--quiet"], factory=SharedModelsFactory(embedder=embedder)) == 0
    assert Verifier.load(uncut).provenance["questions"]["cmrc-cut"] == 0
    assert load_examples(examples / "s-cut.json.gz")[0] == []

    fresh = tmp_path / "fresh.json"  # described again from scratch: the same sample, the same model
    assert main([*argv[:-3], "--refresh", "--out", str(fresh), "--quiet"],
                factory=SharedModelsFactory(embedder=embedder)) == 0
    assert json.loads(fresh.read_text())["model"]["weights"] == pytest.approx(first["model"]["weights"], abs=1e-6)


def test_a_squad_file_is_weighted_by_its_suffix_or_weighs_one():
    assert weighted_path("data/cmrc2018_train.json:0.3") == (Path("data/cmrc2018_train.json"), 0.3)
    assert weighted_path("data/cmrc2018_trial.json") == (Path("data/cmrc2018_trial.json"), 1.0)
    assert weighted_path("C:/data/trial.json") == (Path("C:/data/trial.json"), 1.0)
