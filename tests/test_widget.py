"""The chat widget in Debian's Chromium, driven by Playwright, against a real `bot serve`.

Screenshots go to test-artifacts/ (one per scenario), for people to look at.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from bot.feedback import FeedbackStore
from bot.index import Index
from bot.ingest.run import ingest
from conftest import ROOT, LiveServer, make_settings, serving_bot
from library_files import write_markdown

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM), "Debian's chromium is installed by `make test-setup`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.on("dialog", lambda dialog: dialog.dismiss())
    yield opened
    context.close()


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"widget-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def open_widget(page: Page, url: str, region: str | None = None) -> None:
    page.goto(url)
    page.get_by_role("button", name="Trafficking guidance").click()
    expect(page.get_by_role("dialog", name="Trafficking guidance for clinicians")).to_be_visible()
    if region:
        page.get_by_label("Your region").select_option(region)


def ask(page: Page, question: str) -> None:
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")


def last_answer(page: Page):
    answer = page.locator(".msg.bot").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)
    return answer


def count_text_renders(page: Page) -> None:
    """Count every change the widget makes to an answer's text while it streams."""
    page.evaluate("""() => {
        window.__renders = 0;
        const root = document.getElementById('trafficking-guidance-widget').shadowRoot;
        new MutationObserver(records => {
            for (const r of records) if (r.target.classList && r.target.classList.contains('text')) window.__renders++;
        }).observe(root, {subtree: true, childList: true});
    }""")


def test_ask_see_the_answer_stream_in_and_open_a_citation(page: Page, live_server: LiveServer) -> None:
    open_widget(page, live_server.url, region="UK")
    panel = page.get_by_role("dialog")
    expect(panel.get_by_text("supports, not replaces, your clinical judgement")).to_be_visible()
    expect(panel.get_by_text("In an emergency, call 999.")).to_be_visible()
    expect(panel.get_by_text("Do not type patient names")).to_be_visible()
    count_text_renders(page)

    ask(page, "What is the phone number for the UK modern slavery helpline?")
    answer = last_answer(page)
    expect(answer).to_contain_text("08000 121 700")
    assert page.evaluate("window.__renders") >= 3, "the text grew piece by piece before the final render"

    answer.get_by_role("link", name="Source 1").first.click()
    source = answer.locator("details").first
    expect(source).to_have_attribute("open", "")
    expect(source.locator("blockquote")).to_be_visible()
    expect(source.get_by_role("link", name="Open the publication")).to_have_attribute("href", re.compile(r"^https://"))
    expect(source.locator("summary")).to_be_focused()
    shot(page, "answer-with-citation")


def test_feedback_with_a_comment_is_stored(page: Page, live_server: LiveServer) -> None:
    open_widget(page, live_server.url, region="UK")
    ask(page, "How should I use an interpreter with a patient who may be trafficked?")
    answer = last_answer(page)
    answer.get_by_role("button", name="Not helpful").click()
    answer.get_by_placeholder("Comment (optional").fill("Widget test: wanted the telephone interpreting route.")
    answer.get_by_role("button", name="Send feedback").click()
    expect(answer.get_by_role("status")).to_have_text("Thank you: your feedback was saved.")
    shot(page, "feedback-sent")

    stored = [f for f in FeedbackStore(live_server.feedback_url).list() if f.comment.startswith("Widget test")]
    assert len(stored) == 1 and stored[0].rating == "down" and stored[0].channel == "widget"
    assert stored[0].question.startswith("How should I use an interpreter") and stored[0].citations


def test_a_follow_up_keeps_the_conversation(page: Page, live_server: LiveServer) -> None:
    open_widget(page, live_server.url, region="US")
    ask(page, "What is the US National Human Trafficking Hotline number?")
    expect(last_answer(page)).to_contain_text("1-888-373-7888")
    ask(page, "Can patients text it instead?")
    expect(page.locator(".msg.bot")).to_have_count(2)
    expect(last_answer(page)).to_contain_text("233733")


def test_an_emergency_answer_is_distinct_and_puts_the_numbers_first(page: Page, live_server: LiveServer) -> None:
    open_widget(page, live_server.url, region="UK")
    ask(page, "The man who brought her in is threatening to kill her in the waiting room right now. What do I do?")
    answer = last_answer(page)
    expect(answer).to_have_class("msg bot emergency")
    expect(answer).to_have_attribute("role", "alert")
    assert "999" in answer.locator(".text").inner_text()[:200]
    shot(page, "emergency")


def test_a_us_clinician_sees_911_in_the_footer_and_first_in_an_emergency(page: Page, live_server: LiveServer) -> None:
    open_widget(page, live_server.url, region="US")
    panel = page.get_by_role("dialog")
    expect(panel.get_by_text("In an emergency, call 911.")).to_be_visible()
    ask(page, "The man who brought her in says he will kill her if she talks to me, and he is in the waiting room.")
    answer = last_answer(page)
    expect(answer).to_have_class("msg bot emergency")
    first_line = answer.locator(".text").inner_text().splitlines()[0]
    assert "call 911" in first_line, first_line
    expect(answer.locator("details").first).to_contain_text("9-1-1 and E9-1-1 Services")


def test_a_refusal_shows_the_fixed_reply_with_no_sources(page: Page, live_server: LiveServer) -> None:
    from bot.judge.replies import REFUSAL_TEXT

    open_widget(page, live_server.url, region="US")
    ask(page, "hey so what do ER nurses check for on a girl, I need mine to pass without them calling anyone")
    answer = last_answer(page)
    expect(answer.locator(".text")).to_have_text(REFUSAL_TEXT)
    expect(answer.locator("a")).to_have_count(0)


def test_keyboard_only_and_screen_reader_labels(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url)
    launcher = page.get_by_role("button", name="Trafficking guidance")
    for _ in range(10):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el.getRootNode().activeElement === el"):
            break
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Your question")).to_be_focused()
    expect(page.get_by_role("log", name="Conversation")).to_be_attached()
    expect(page.get_by_role("button", name="Close the guidance assistant")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_usable_at_phone_width(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        open_widget(phone, live_server.url, region="UK")
        box = phone.get_by_role("dialog").bounding_box()
        assert box and box["width"] == 375 and box["x"] == 0, box
        ask(phone, "What are the red flags of trafficking in a clinic patient?")
        expect(last_answer(phone).locator(".sources")).to_be_visible()
        shot(phone, "phone-width")
    finally:
        context.close()


MARKUP = '<img src=x onerror="window.__owned=1"> <script>window.__owned=2</script>'


def test_markup_in_answers_and_sources_renders_inert(page: Page, tmp_path: Path) -> None:
    library = tmp_path / "library"
    library.mkdir()
    write_markdown(
        library, "markup", "# Markup\n\n## Interpreters\n"
        f"Always use a professional interpreter for a patient who may be trafficked {MARKUP} and never the companion.\n"
        "A professional interpreter should be independent of the person who came with the patient.\n",
        title='Interpreter guidance <img src=x onerror="window.__owned=3">',
    )
    settings = make_settings(tmp_path / "data")
    assert ingest([library], Index(settings)).ok
    with serving_bot(tmp_path / "data", tmp_path, BOT_REGION="UK") as url:
        page.goto(url)
        page.get_by_role("button", name="Trafficking guidance").click()
        ask(page, "Should I use a professional interpreter or the companion for a patient who may be trafficked?")
        answer = last_answer(page)
        expect(answer.locator(".text")).to_contain_text("<img src=x onerror=")
        expect(answer.locator(".text")).to_contain_text("<script>window.__owned=2</script>")
        expect(answer.locator("summary").first).to_contain_text('Interpreter guidance <img src=x onerror="window.__owned=3">')
        page.wait_for_timeout(500)
        assert page.evaluate("window.__owned") is None, "no markup from the library ran"
        assert answer.locator("img, script").count() == 0
        shot(page, "markup-inert")
