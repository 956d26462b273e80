"""The `qa` command end to end (real model), with the index kept in a temporary folder."""

import json
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def run(tmp_path_factory, embedder):
    """Run `qa …` in a fresh process; `embedder` makes sure the model cache is built first."""
    env = dict(os.environ, QA_INDEX_DIR=str(tmp_path_factory.mktemp("cli-index")))

    def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "qa.cli", *args], input=stdin, capture_output=True, text=True, env=env, timeout=300
        )

    return _run


def test_ask_prints_answer_sentence_and_location(run):
    out = run("ask", "渤海大道什么时候全线通车？")
    assert out.returncode == 0, out.stderr
    assert "答案: 2022年6月30日" in out.stdout and "位置: 第2部分" in out.stdout and "渤海大道" in out.stdout


def test_ask_json_is_the_structured_answer(run):
    out = run("ask", "--json", "大连湾海底隧道有限公司副总工程师是谁？")
    data = json.loads(out.stdout)
    assert data["text"] == "孙磊" and data["found"] is True
    assert {"start", "end", "score", "evidence", "timings"} <= data.keys()
    assert data["evidence"][0]["start"] <= data["start"]


def test_explain_shows_the_verifiers_view_of_an_answer_and_of_a_decline(run):
    out = run("ask", "--explain", "大连有多少家法治超市？")
    assert out.returncode == 0, out.stderr
    assert "答案: 1690家" in out.stdout and "判断依据 (verifier, threshold" in out.stdout
    assert "1. 1690家  [rules+reader]  P(right) =" in out.stdout and "rules_score = " in out.stdout
    declined = run("ask", "--explain", "大连市的市长是谁？")
    assert "文章中没有提到" in declined.stdout and "判断依据" in declined.stdout and "P(right) = 0.0" in declined.stdout
    nothing = [float(re.search(r"P\(no answer\) = ([0-9.]+)", o.stdout).group(1)) for o in (out, declined)]
    assert nothing[0] < 0.5 < nothing[1]  # the share the candidates leave to "the article does not say"


def test_stdin_answers_each_line(run):
    out = run("ask", "--json", stdin="2022年大连建成了多少处口袋公园？\n\nHow many pocket parks did Dalian build in 2022?\n大连市的市长是谁？\n")
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["text"] for a in answers] == ["112处", "112处", ""]
    assert answers[2]["found"] is False


def test_not_in_article_says_so(run):
    out = run("ask", "渤海大道全长多少公里？")
    assert out.returncode == 0 and "没有提到" in out.stdout


def test_empty_question_fails_with_one_clear_line(run):
    out = run("ask", "   ")
    assert out.returncode != 0
    assert out.stderr.strip().startswith("error:") and "empty" in out.stderr
    assert "Traceback" not in out.stderr


def test_index_command_builds_and_reports(run):
    out = run("index")
    assert out.returncode == 0 and "sentences" in out.stdout


def test_a_closed_output_pipe_ends_quietly(embedder, tmp_path):
    env = dict(os.environ, QA_INDEX_DIR=str(tmp_path / "index"))
    pipeline = subprocess.run(
        f"yes 渤海大道什么时候全线通车？ | head -20 | {sys.executable} -m qa.cli ask --json | head -1",
        shell=True, capture_output=True, text=True, env=env, timeout=300, executable="/bin/bash",
    )
    assert json.loads(pipeline.stdout)["text"] == "2022年6月30日"
    assert "Traceback" not in pipeline.stderr and "BrokenPipeError" not in pipeline.stderr


@pytest.mark.parametrize("where", ["cache", "index"])
def test_an_unusable_folder_is_one_line_not_a_traceback(embedder, tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = dict(os.environ, QA_CACHE_DIR=str(blocker / "cache"), QA_INDEX_DIR=str(tmp_path / "index"))
    if where == "index":  # the session's built cache, an index folder that cannot be written
        env.update(QA_CACHE_DIR=os.environ["QA_CACHE_DIR"], QA_INDEX_DIR=str(blocker / "index"))
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "渤海大道什么时候全线通车？"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert "Traceback" not in out.stderr
    if where == "cache":
        assert out.returncode == 1 and out.stderr.strip().splitlines()[-1].startswith("error: cannot build")
    else:
        assert out.returncode == 0 and "答案: 2022年6月30日" in out.stdout and "not saved" in out.stderr
