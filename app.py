"""Web chat for citizens over the shipped article: `python app.py` serves it at http://127.0.0.1:7860."""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sqlite3
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# Gradio reads these when it is imported: no usage statistics or version checks, no model-hub calls.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from qa.article import ARTICLE_ID, read_article  # noqa: E402
from qa.conversation import rewrite_followup  # noqa: E402
from qa.document import Document, parse_document  # noqa: E402
from qa.errors import EmptyQuestionError, QAError  # noqa: E402
from qa.feedback import FeedbackStore, default_feedback_path  # noqa: E402
from qa.results import Answer, AnswerDict, Evidence  # noqa: E402
from qa.settings import Settings  # noqa: E402
from qa.text import is_english  # noqa: E402

if TYPE_CHECKING:
    from qa.pipeline import Answerer

log = logging.getLogger("qa.app")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
# Engine calls at a time: two keep a small CPU busy (ONNX Runtime spreads one call over the cores, the keyword and rule
# steps use one); more only slow each call down. The queue serves everyone else in turn.
ENGINE_CONCURRENCY = 2
QUEUE_SIZE = 200  # chat questions waiting beyond this are refused at once, in the asker's language (BUSY)
# Beyond this Gradio itself refuses any request (HTTP 503, its English "busy"): reached by `/ask` callers alone.
QUEUE_HARD_LIMIT = 1000
BUSY = ("现在提问的人很多，请过几秒再问一次。", "Many people are asking right now; please ask again in a few seconds.")

# What a score means to a citizen, best first; the last level catches every score.
CONFIDENCE_LEVELS: tuple[tuple[float, str, str], ...] = (
    (0.8, "把握较大", "fairly sure"),
    (0.5, "有一定把握", "somewhat sure"),
    (0.0, "仅供参考", "uncertain"),
)
# The chat's feedback icons (👍, 👎) and its flag option; the chat reports them as True, False and the option's text,
# stored as these verdicts (qa.feedback).
FEEDBACK_OPTIONS = ("Like", "Dislike", "答案有误")
FEEDBACK = {True: "like", False: "dislike", "答案有误": "wrong"}
EMPTY_HINT = "请输入一个问题，例如：渤海大道什么时候全线通车？"

EXAMPLES = (
    "2022年大连建成了多少处口袋公园？",
    "渤海大道什么时候全线通车？",
    "大连湾海底隧道有限公司副总工程师是谁？",
    "How many pocket parks did Dalian build in 2022?",
    "大连市的市长是谁？",
)

SEARCHING = "正在文章中查找……"
# The chat shows as much of a long question as the engine reads (it adds a note saying it cut the rest).
MAX_SHOWN_QUESTION_CHARS = Settings().max_question_chars

# Text from users and from the article becomes inert HTML: tags and entities escaped, and the characters of
# Gradio's HTML templates (${…}, {{…}}) turned into entities too, so nothing in it is ever evaluated.
_TEMPLATE_CHARS = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})
# Markdown punctuation that could format a chat message; & < > are already entities when this applies.
_MARKDOWN_CHARS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:=^])")

PLACEHOLDER_HTML = '<p class="qa-muted">提问后，这里显示答案所在的段落，答案会用黄色标出。</p>'

CSS = """
.qa-location { font-weight: 600; margin-bottom: 0.4em; }
.qa-paragraph, .qa-article { line-height: 1.8; white-space: pre-wrap; }
.qa-article { max-height: 32em; overflow-y: auto; }
mark.qa-answer { background: #fde047; color: #111827; padding: 0 0.1em; border-radius: 0.2em; }
.qa-sentence { text-decoration: underline; text-decoration-color: #f59e0b; text-underline-offset: 0.25em; }
.qa-evidence li { margin-bottom: 0.5em; }
.qa-score, .qa-where { color: #6b7280; font-size: 0.9em; }
.qa-muted { color: #6b7280; }
.qa-para { margin: 0 0 0.8em 0; }
a.qa-goto { color: inherit; text-decoration: underline dotted; cursor: pointer; }
"""
# A click on 出处 (a link to the paragraph's anchor) opens the whole article and scrolls the paragraph into view.
GOTO_JS = """
() => document.addEventListener("click", (event) => {
  const link = event.target.closest("a.qa-goto");
  if (!link) return;
  event.preventDefault();
  const header = document.querySelector("#qa-whole .label-wrap");
  if (header && !header.classList.contains("open")) header.click();
  const show = () => document.getElementById(link.getAttribute("href").slice(1))?.scrollIntoView({block: "center"});
  setTimeout(show, 300);
})
"""
# Page-wide: the empty chat's examples as one row that scrolls sideways (a phone keeps the input in view), labels that
# never break inside a word.
PAGE_CSS = """
#qa-chat .examples { display: flex; flex-wrap: nowrap; overflow-x: auto; gap: 0.5em; padding-bottom: 0.3em; }
#qa-chat .example { flex: 0 0 auto; max-width: 15em; }
#qa-chat .placeholder-content { justify-content: flex-start; }
#qa-chat details { margin-top: 0.4em; }
#qa-chat details mark { background: #fde047; color: #111827; }
.qa-label, #qa-chat strong { word-break: keep-all; white-space: nowrap; }
"""


class LazyAnswerer:
    """The one `Answerer` every session shares, created on first use (models load then, not at import)."""

    def __init__(self, factory: Callable[[], Answerer]):
        self._factory = factory
        self._answerer: Answerer | None = None
        self._lock = threading.Lock()

    def get(self) -> Answerer:
        with self._lock:
            if self._answerer is None:
                self._answerer = self._factory()
            return self._answerer


def load_answerer() -> Answerer:
    """The real engine over the shipped article (builds `index/` on first run, printing progress)."""
    from qa import model_registry

    model_registry.preload()  # the models load while the pipeline is imported and the article indexed
    from qa import Answerer

    return Answerer.for_article()


def confidence_words(score: float, english: bool = False) -> str:
    """How sure the answer is, in words a citizen understands.

    >>> confidence_words(0.93), confidence_words(0.6), confidence_words(0.2, english=True)
    ('把握较大', '有一定把握', 'uncertain')
    """
    return next(en if english else zh for cutoff, zh, en in CONFIDENCE_LEVELS if score >= cutoff)


def escape_html(text: str) -> str:
    """`text` as HTML that shows exactly these characters and runs nothing.

    >>> escape_html('<img src=x onerror=alert(1)> ${x}')
    '&lt;img src=x onerror=alert(1)&gt; &#36;&#123;x&#125;'
    """
    return html.escape(text, quote=True).translate(_TEMPLATE_CHARS)


def escape_markdown(text: str) -> str:
    """`text` for a Markdown chat message: shown literally, never formatted, linked or run as HTML.

    >>> escape_markdown("<script>alert(1)</script> **x**")
    '&lt;script&gt;alert\\\\(1\\\\)&lt;/script&gt; \\\\*\\\\*x\\\\*\\\\*'
    """
    return _MARKDOWN_CHARS.sub(r"\\\1", html.escape(text, quote=False))


def local_spans(pieces: Sequence[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """Where the source range [start, end) falls in the text made by joining the source slices `pieces`.

    A paragraph cut by a page break is shown joined, so a source offset past the break moves back.

    >>> local_spans([(10, 20), (30, 40)], 15, 35)
    [(5, 10), (10, 15)]
    """
    spans = []
    offset = 0
    for piece_start, piece_end in pieces:
        lo, hi = max(start, piece_start), min(end, piece_end)
        if lo < hi:
            spans.append((offset + lo - piece_start, offset + hi - piece_start))
        offset += piece_end - piece_start
    return spans


def highlight(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """`text` as escaped HTML with each (start, end, css class) span marked; spans may nest or overlap.

    The answer (class "qa-answer") becomes a <mark>; other spans a <span> with their class.

    >>> highlight("a<b>c", [(1, 4, "qa-sentence"), (2, 3, "qa-answer")])
    'a<span class="qa-sentence">&lt;</span><mark class="qa-sentence qa-answer">b</mark><span class="qa-sentence">&gt;</span>c'
    """
    cuts = sorted({0, len(text), *(min(max(p, 0), len(text)) for s, e, _ in spans for p in (s, e))})
    parts = []
    for lo, hi in zip(cuts, cuts[1:]):
        classes = [c for s, e, c in spans if s <= lo and hi <= e]
        chunk = escape_html(text[lo:hi])
        if "qa-answer" in classes:
            parts.append(f'<mark class="{" ".join(dict.fromkeys(classes))}">{chunk}</mark>')
        elif classes:
            parts.append(f'<span class="{" ".join(dict.fromkeys(classes))}">{chunk}</span>')
        else:
            parts.append(chunk)
    return "".join(parts)


def _answer_ranges(answer: Answer) -> list[tuple[int, int]]:
    """The answer's source ranges, cut to its sentence's pieces (an answer across a page break skips the break)."""
    if not answer.found or answer.start is None or answer.end is None or not answer.evidence:
        return []
    pieces = answer.evidence[0].pieces
    return [(max(answer.start, s), min(answer.end, e)) for s, e in pieces if max(answer.start, s) < min(answer.end, e)]


def paragraph_html(answer: Answer) -> str:
    """The paragraph that holds the answer (or the closest sentence), its location, the answer marked."""
    if not answer.evidence:
        return f'<p class="qa-muted">{escape_html("文章中没有找到相关的段落。")}</p>'
    best = answer.evidence[0]
    spans = [
        (s, e, "qa-sentence")
        for piece_start, piece_end in best.pieces
        for s, e in local_spans(best.paragraph_pieces, piece_start, piece_end)
    ]
    for start, end in _answer_ranges(answer):
        spans += [(s, e, "qa-answer") for s, e in local_spans(best.paragraph_pieces, start, end)]
    where = best.location + (f"（{best.section}）" if best.section and best.section not in best.location else "")
    heading = "答案出处" if answer.found else "文章中没有答案，最接近的段落"
    link = f'<a class="qa-goto" href="#{_anchor(best.paragraph_start)}" title="在全文中查看">{escape_html(where)}</a>'
    return (
        f'<div class="qa-location">{escape_html(heading)}：{link}</div>'
        f'<div class="qa-paragraph">{highlight(best.paragraph_text, spans)}</div>'
    )


def evidence_html(answer: Answer) -> str:
    """The other retrieved sentences with their locations, as context (no scores: they are not answers)."""
    others = answer.evidence[1:] if answer.found else answer.evidence
    if not others:
        return ""
    items = "".join(
        f'<li>{escape_html(e.text)} <span class="qa-where">（{escape_html(e.location)}）</span></li>' for e in others
    )
    return f'<ol class="qa-evidence">{items}</ol>'


def article_html(document: Document, answer: Answer | None = None) -> str:
    """The whole article, paragraph by paragraph, each numbered as answers cite it (第1部分 · 第4段) and anchored for
    出处 to scroll to; the answer's sentence underlined and the answer marked."""
    marks: list[tuple[int, int, str]] = []
    if answer is not None and answer.evidence:
        marks += [(s, e, "qa-sentence") for s, e in answer.evidence[0].pieces]
        marks += [(s, e, "qa-answer") for s, e in _answer_ranges(answer)]
    paragraphs = []
    for unit in document.units:
        spans = [(lo, hi, css) for start, end, css in marks for lo, hi in local_spans(unit.pieces, start, end)]
        paragraphs.append(
            f'<p class="qa-para" id="{_anchor(unit.start)}"><span class="qa-where">{escape_html(document.location(unit))}'
            f"</span><br>{highlight(unit.text, spans)}</p>"
        )
    return f'<div class="qa-article">{"".join(paragraphs)}</div>'


def _anchor(paragraph_start: int) -> str:
    """The id of the paragraph starting at source offset `paragraph_start` in the whole-article panel."""
    return f"qa-at-{paragraph_start}"


def compose_reply(asked: str, understood: str, answer: Answer) -> str:
    """The chat message for one answer: the short answer first, then its sentence, where it is, how sure.

    Everything from the user or the article is escaped; only the layout is Markdown.
    """
    lines = []
    if understood.strip() != asked.strip():
        lines.append(f"*理解为：{escape_markdown(understood.strip())}*")
    english = is_english(asked)
    if answer.found and answer.evidence:
        best = answer.evidence[0]
        lead = "The article says: " if english else ""
        lines.append(f"{lead}**{escape_markdown(answer.text)}**")
        lines.append(f"> {_sentence_markdown(best, _answer_ranges(answer))}")
        source, sure = ("Source", "Confidence") if english else ("出处", "可信度")
        lines.append(
            f"{_unbroken(source)}：{escape_markdown(best.location)}　｜　"
            f"{_unbroken(f'{sure}：{confidence_words(answer.score, english)}')}"
        )
        lines.append(_folded_paragraph(answer, "Paragraph in the article" if english else "查看原文段落"))
    else:
        if english:
            lines.append("The article does not say.")
        lines.append("文章中没有提到这个问题的答案。")
        if answer.evidence:
            lines.append("文章中最接近的内容（仅供参考，并不是答案）：")
            lines.append(
                "\n".join(
                    f"{rank}. {escape_markdown(e.text)}（{escape_markdown(e.location)}）"
                    for rank, e in enumerate(answer.evidence[:3], start=1)
                )
            )
    lines += [f"*说明：{escape_markdown(note)}*" for note in answer.notes]
    return "\n\n".join(lines)


def _unbroken(words: str) -> str:
    """`words` with word joiners between the characters, so a narrow screen never breaks a label like 有一定把握."""
    return "\u2060".join(words)


def _folded_paragraph(answer: Answer, title: str) -> str:
    """The answer's paragraph with the answer marked, folded under the reply (on a phone, the side panel is far below)."""
    best = answer.evidence[0]
    marks = [(s, e, "qa-answer") for start, end in _answer_ranges(answer) for s, e in local_spans(best.paragraph_pieces, start, end)]
    return f"<details><summary>{escape_html(title)}</summary>{highlight(best.paragraph_text, marks)}</details>"


def plain_reply(asked: str, answer: Answer, headline: str) -> str:
    """What 复制答案 puts on the clipboard: the answer, its sentence, where it is and the article, as plain text."""
    english = is_english(asked)
    if not (answer.found and answer.evidence):
        said = "The article does not say." if english else "文章中没有提到这个问题的答案。"
        return f"{asked.strip()}\n{said}\n《{headline}》"
    best = answer.evidence[0]
    labels = ("Answer", "Sentence", "Source") if english else ("答案", "原文", "出处")
    return "\n".join(
        [f"{labels[0]}：{answer.text}", f"{labels[1]}：{best.text}", f"{labels[2]}：《{headline}》{best.location}"]
    )


def _sentence_markdown(evidence: Evidence, answer_ranges: list[tuple[int, int]]) -> str:
    """The supporting sentence with the answer in bold HTML (Markdown's ** fails next to CJK punctuation)."""
    spans = [(s, e) for start, end in answer_ranges for s, e in local_spans(evidence.pieces, start, end)]
    parts, position = [], 0
    for s, e in spans:
        parts.append(escape_markdown(evidence.text[position:s]))
        parts.append(f"<strong>{escape_markdown(evidence.text[s:e])}</strong>")
        position = e
    parts.append(escape_markdown(evidence.text[position:]))
    return "".join(parts)


def _shown_question(question: str) -> str:
    shown = question.strip()
    if len(shown) > MAX_SHOWN_QUESTION_CHARS:
        shown = shown[:MAX_SHOWN_QUESTION_CHARS] + "……"
    return escape_markdown(shown)


def _example_text(selected: gr.SelectData) -> str:
    """The question of the example a citizen tapped in the empty chat."""
    return selected.value["text"]


def build_demo(get_answerer: Callable[[], Answerer], feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The chat app; `get_answerer` is called on each question (it should return one shared, cached engine).

    Besides the chat (endpoint "chat"), the app has an endpoint "ask" for programs: question in,
    `Answer.to_dict()` out. 👍, 👎 and 答案有误 on an answer are stored in `feedback` (by default
    `qa.feedback.default_feedback_path()`).
    """
    source = read_article()
    document = parse_document(source, ARTICLE_ID)
    headline = next(line.strip() for line in source.splitlines() if line.strip())
    feedback = feedback if feedback is not None else FeedbackStore()

    def respond(message: str, chat: list[dict], asked: list[str], turns: dict) -> Iterator[tuple]:
        if not message or not message.strip():
            chat = [*chat, {"role": "assistant", "content": EMPTY_HINT}]
            yield "", chat, asked, turns, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat = [*chat, {"role": "user", "content": _shown_question(message)}, {"role": "assistant", "content": SEARCHING}]
        yield "", chat, gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()

        understood = rewrite_followup(message.strip(), asked)
        try:
            answerer = get_answerer()
            answer = answerer.answer(understood)
        except EmptyQuestionError:  # only control characters: nothing a person could read
            chat[-1] = {"role": "assistant", "content": EMPTY_HINT}
            yield "", chat, asked, turns, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        except QAError:
            log.exception("the engine failed on %r", understood)
            chat[-1] = {"role": "assistant", "content": "抱歉，问答系统暂时出了故障，请稍后再试。"}
            yield "", chat, asked, turns, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        chat[-1] = {"role": "assistant", "content": compose_reply(message, understood, answer)}
        yield (
            "",
            chat,
            [*asked, understood],
            {**turns, len(chat) - 1: (message, understood, answer)},
            paragraph_html(answer),
            evidence_html(answer),
            article_html(document, answer),
            plain_reply(message, answer, headline),
        )

    def on_feedback(turns: dict, event: gr.LikeData) -> None:
        verdict = FEEDBACK.get(event.liked) if isinstance(event.liked, (bool, str)) else None
        index = event.index if isinstance(event.index, int) else None
        if verdict is None or index not in turns:
            return  # a hint or a message without an answer, or feedback taken back
        try:
            feedback.add(verdict, *turns[index])
        except (OSError, sqlite3.Error):
            log.exception("cannot store feedback in %s", feedback.path)
            raise gr.Error("抱歉，反馈没有保存成功，请稍后再试。", print_exception=False) from None
        gr.Info("谢谢您的反馈！")

    def ask(question: str) -> AnswerDict:
        """Answer one question about the article: Answer.to_dict() (text, found, score, start, end, evidence, …)."""
        try:
            return get_answerer().answer(question).to_dict()
        except EmptyQuestionError as error:  # the engine's message says what to send instead
            raise gr.Error("请输入一个问题。(The question is empty.)", print_exception=False) from error

    # Gradio reads the hints as written, and this module's are strings (postponed annotations): resolve them, so that
    # /ask publishes AnswerDict's fields as its schema.
    ask.__annotations__ = typing.get_type_hints(ask)

    def clear() -> tuple:
        return [], [], {}, PLACEHOLDER_HTML, "", article_html(document), ""

    with gr.Blocks(title="大连民生问答", analytics_enabled=False) as demo:
        gr.Markdown(
            f"## 大连民生问答\n根据报道《{escape_markdown(headline)}》回答问题。"
            "答案都摘自原文，并标出出处；文章没有提到的，会如实说明。"
        )
        asked = gr.State([])  # the questions as understood (follow-ups rewritten), for the next follow-up
        turns = gr.State({})  # chat message index -> (question, understood, Answer), for feedback on that message
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="问答",
                    height="min(520px, 62vh)",
                    sanitize_html=True,
                    render_markdown=True,
                    latex_delimiters=[],  # a "$" in a question is a dollar sign, not LaTeX
                    allow_tags=False,
                    buttons=[],  # copying goes through 复制答案 (plain text); "share" would post to Hugging Face
                    feedback_options=FEEDBACK_OPTIONS,
                    placeholder="请就这篇报道提问，或点一个例子：",
                    examples=[{"text": text} for text in EXAMPLES],
                    elem_id="qa-chat",
                )
                with gr.Row():
                    question = gr.Textbox(
                        label="问题",
                        placeholder="输入问题，按回车提问",
                        show_label=False,
                        scale=5,
                        lines=1,
                        max_lines=4,
                        elem_id="qa-question",
                    )
                    send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="qa-send")
                with gr.Row():
                    copy = gr.Button("复制答案", size="sm", variant="secondary", elem_id="qa-copy")
                    reset = gr.Button("清空对话", size="sm", variant="secondary")
                plain = gr.Textbox(visible=False, elem_id="qa-plain")  # the last answer as plain text, for 复制答案
            with gr.Column(scale=2):
                paragraph = gr.HTML(PLACEHOLDER_HTML, css_template=CSS, js_on_load=None, elem_id="qa-paragraph")
                with gr.Accordion("其他相关句子（供参考的上下文，不是答案）", open=False):
                    evidence = gr.HTML("", css_template=CSS, js_on_load=None, elem_id="qa-evidence")
                with gr.Accordion("查看全文（答案用黄色标出）", open=False, elem_id="qa-whole") as whole:
                    article = gr.HTML(article_html(document), css_template=CSS, js_on_load=None, elem_id="qa-article")

        def admit(message: str, *state) -> list[dict]:
            """Refuse a question before it queues while QUEUE_SIZE wait (Gradio keeps no public count of them)."""
            busy = len(demo._queue) >= QUEUE_SIZE
            refusal = BUSY[1] if busy and is_english(message or "") else BUSY[0]
            return [gr.validate(not busy, refusal if busy else "")] + [gr.validate(True, "")] * len(state)

        # One engine at a time serves the typed question and the example chips alike.
        answering = dict(
            fn=respond,
            validator=admit,
            inputs=[question, chatbot, asked, turns],
            outputs=[question, chatbot, asked, turns, paragraph, evidence, article, plain],
            concurrency_id="engine",
            show_progress="minimal",
        )
        gr.on([question.submit, send.click], **answering, api_name="chat", api_visibility="undocumented")
        chatbot.example_select(_example_text, None, question, queue=False, api_visibility="private").then(
            **answering, api_visibility="private"
        )
        chatbot.like(on_feedback, [turns], None, api_visibility="private")
        copy.click(
            None, [plain], None, api_visibility="private",
            js="(text) => { if (text) { navigator.clipboard.writeText(text); } }",
        )
        # The chatbot's own trash icon clears the follow-up history and the panels too.
        gr.on(
            [reset.click, chatbot.clear],
            clear,
            None,
            [chatbot, asked, turns, paragraph, evidence, article, plain],
            queue=False,
            api_visibility="private",
        )
        # Opening the article scrolls it to the marked answer (or the closest sentence).
        whole.expand(
            None,
            None,
            None,
            js="() => setTimeout(() => document.querySelector('#qa-article mark.qa-answer, #qa-article .qa-sentence')"
            "?.scrollIntoView({block: 'center'}), 200)",
        )
        gr.api(ask, api_name="ask", concurrency_id="engine")

    demo.queue(default_concurrency_limit=ENGINE_CONCURRENCY, max_size=QUEUE_HARD_LIMIT)
    return demo


def serve(app: gr.Blocks, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, block: bool = True):
    """Launch `app` locally with every outbound feature off (share links, monitoring, run history, MCP)."""
    return app.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=not block,
        share=False,
        footer_links=["api"],
        enable_monitoring=False,
        run_history=False,
        mcp_server=False,
        ssr_mode=False,
        css=PAGE_CSS,
        js=GOTO_JS,
        pwa=False,
        quiet=not block,
    )


engine = LazyAnswerer(load_answerer)
demo = build_demo(engine.get)  # `gradio app.py` serves this; `python app.py` builds its own with the flags below


def main(argv: Sequence[str] | None = None) -> None:
    """`python app.py [--host H] [--port P]`: load (or build) the index, then serve the chat."""
    parser = argparse.ArgumentParser(description="大连民生问答：网页聊天界面")
    parser.add_argument("--host", default=os.environ.get("QA_HOST", DEFAULT_HOST), help="address to listen on ($QA_HOST)")
    parser.add_argument(
        "--port", type=int, default=os.environ.get("QA_PORT", str(DEFAULT_PORT)), help="port to listen on ($QA_PORT)"
    )
    parser.add_argument(
        "--feedback-db", type=Path, default=default_feedback_path(),
        help="SQLite file for 👍/👎/答案有误 (default: %(default)s); `qa feedback export` reads it",
    )
    args = parser.parse_args(argv)
    print("正在加载问答引擎（第一次运行时会建立索引）……", flush=True)
    engine.get().warm_up()
    print(f"问答页面：http://{args.host}:{args.port}", flush=True)
    serve(build_demo(engine.get, FeedbackStore(args.feedback_db)), args.host, args.port)


if __name__ == "__main__":
    main()
