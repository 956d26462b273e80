"""The web app in a real browser (Debian's headless Chromium): an answer with its highlighted span, and no script injection."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
# Scripts in the page must wait for the answer: a page event is far faster than the model on a busy CPU.
ANSWER_TIMEOUT_MS = 120_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"),
]

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip, no browser download)")


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    from qa.feedback import FeedbackStore

    return FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.sqlite")


@pytest.fixture(scope="module")
def url(answerer, feedback):
    import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = app.build_demo(lambda: answerer, feedback)
    _, local_url, _ = app.serve(demo, "127.0.0.1", port, block=False)
    yield local_url
    demo.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture
def page(browser, url, request):
    """A fresh page on the app (desktop size, or the size a test is parametrized with) that records dialogs (alert)
    and every request leaving 127.0.0.1; it may use the clipboard, as a person's browser lets a page they clicked on."""
    viewport = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.dialogs = []
    page.outside_requests = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request",
        lambda request: page.outside_requests.append(request.url)
        if urlparse(request.url).hostname not in (None, "127.0.0.1", "localhost")
        else None,
    )
    page.goto(url)
    page.wait_for_selector("#qa-question textarea")
    yield page
    context.close()


def _ask(page, question: str) -> None:
    """Type a question, press Enter, wait until the assistant's reply has replaced the 'searching' placeholder."""
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        """() => {
            const bots = document.querySelectorAll('#qa-chat [data-testid="bot"]');
            return bots.length > 0 && !bots[bots.length - 1].innerText.includes('正在文章中查找');
        }""",
        timeout=ANSWER_TIMEOUT_MS,
    )


def test_answer_and_highlight_appear(page, tmp_path):
    _ask(page, "2022年大连建成了多少处口袋公园？")
    reply = page.locator('#qa-chat [data-testid="bot"]').last
    assert reply.locator("strong").first.inner_text() == "112处"
    assert page.locator("#qa-paragraph mark.qa-answer").inner_text() == "112处"
    assert "第1部分" in page.locator("#qa-paragraph .qa-location").inner_text()
    # the whole article opens with the same span marked
    page.get_by_text("查看全文").click()
    assert page.locator("#qa-article mark.qa-answer").first.inner_text() == "112处"
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)
    assert (tmp_path / "answer.png").stat().st_size > 10_000
    assert page.outside_requests == []  # no fonts, scripts or analytics from anywhere else


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"])
def test_html_in_a_question_is_shown_as_text(page, payload):
    page.evaluate("() => { window.__injected = false; }")
    _ask(page, payload + " ${window.__injected = true} {{7*7}}")
    chat = page.locator("#qa-chat")
    user_message = page.locator('#qa-chat [data-testid="user"]').last
    assert payload in user_message.inner_text()  # the literal text is visible
    assert "${window.__injected = true} {{7*7}}" in user_message.inner_text()
    assert chat.locator("script").count() == 0 and chat.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page.dialogs == []
    assert page.evaluate("() => window.__injected") is False


def test_thumbs_up_is_stored_with_the_answer(page, feedback):
    before = len(feedback.rows())
    _ask(page, "渤海大道什么时候全线通车？")
    page.get_by_role("button", name="Like").last.click()
    page.wait_for_function("() => document.body.innerText.includes('谢谢您的反馈')", timeout=10_000)
    rows = feedback.rows()
    assert len(rows) == before + 1
    assert rows[-1]["verdict"] == "like" and rows[-1]["question"] == "渤海大道什么时候全线通车？"
    assert rows[-1]["answer"] == "2022年6月30日" and rows[-1]["found"] == 1


def test_copy_answer_puts_plain_text_on_the_clipboard(page):
    _ask(page, "2022年大连建成了多少处口袋公园？")
    page.locator("#qa-copy").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("答案：112处\n原文：") and "出处：《" in copied
    assert not set("*<>\\") & set(copied)


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_on_a_phone_the_answer_and_its_marked_paragraph_are_in_the_first_screen(page):
    page.locator("#qa-chat .example").first.click()  # the examples sit in the empty chat
    page.wait_for_function(
        """() => { const bots = document.querySelectorAll('#qa-chat [data-testid="bot"]');
                   return bots.length > 0 && !bots[bots.length - 1].innerText.includes('正在文章中查找'); }""",
        timeout=ANSWER_TIMEOUT_MS,
    )
    reply = page.locator('#qa-chat [data-testid="bot"]').last
    reply.locator("summary").click()  # 查看原文段落
    answer, marked = reply.locator("strong").first, reply.locator("details mark")
    assert answer.inner_text() == "112处" and marked.inner_text() == "112处"
    for shown in (answer, marked):
        box = shown.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900, box
    assert page.outside_requests == []


def test_clicking_the_source_opens_the_article_at_its_numbered_paragraph(page):
    _ask(page, "2022年大连建成了多少处口袋公园？")
    link = page.locator("#qa-paragraph a.qa-goto")
    target = page.locator("#" + link.get_attribute("href")[1:])
    link.click()
    target.wait_for(state="visible")
    page.wait_for_timeout(1000)  # the scroll runs once the article has opened
    assert target.locator(".qa-where").inner_text() == "第1部分 · 第4段" == link.inner_text().split("（")[0]
    assert target.locator("mark.qa-answer").inner_text() == "112处"
    box, viewport = target.bounding_box(), page.viewport_size
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], box


def test_a_full_queue_refuses_in_the_askers_language_and_keeps_the_question(page, monkeypatch):
    import app

    monkeypatch.setattr(app, "QUEUE_SIZE", 0)  # as if 0 more may wait: every question is refused at once
    box = page.locator("#qa-question textarea")
    box.fill("渤海大道什么时候全线通车？")
    box.press("Enter")
    page.get_by_text(app.BUSY[0]).wait_for(timeout=10_000)
    assert box.input_value() == "渤海大道什么时候全线通车？"  # nothing to type again
    assert "Queue" not in page.locator("body").inner_text() and "busy" not in page.locator("body").inner_text()
