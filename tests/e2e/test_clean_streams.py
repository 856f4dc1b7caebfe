"""Streams end cleanly, however they end (issue 26): the app's log has no traceback afterwards.

In the browser against the loopback fake model: two answers (each question stops being read once
it is complete), Stop pressed while a question streams, a persona switch, a reload, a reload while
a question streams, End pressed while a question streams, then /end typed for the report again.
The app's log (its stdout and stderr) must not
show a traceback, `GeneratorExit` or anyio's `cancel scope`: before the fix every streamed question
left one pair of `async generator ignored GeneratorExit` / `Attempted to exit cancel scope in a
different task` tracebacks there (webapp/chainlit_internals.py, restore_async_generator_finaliser).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from browser_helpers import send_when_idle
from interviewer.config import REPO_ROOT
from interviewer.session import Session
from interviewer.store import SessionStore

pytestmark = pytest.mark.e2e
ARTIFACTS = REPO_ROOT / "test-artifacts"
BAD = ("Traceback", "GeneratorExit", "cancel scope")
# A reply long enough to press Stop (or reload) while it streams: no "?" until its very end.
LONG = " ".join(["and then we looked at the queue depth again"] * 12) + ". What did you measure?"
SLOW, FAST = 0.15, 0.005  # seconds between streamed words
ANSWERS = [
    "We did some stuff with the database and things got better.",
    "I found it in the logs: the cache key left out the tenant id, so I added it and a test.",
    "I profiled the consumer and sharded the queue by customer.",
    "I wrote the postmortem and we added an alert on queue depth.",
    "Next time I would load-test the consumer before the sale, not after.",
]
READY = "The example answers are ready|couldn't improve the example answers"


def _idle(page: Any) -> None:
    """Nothing is running: the send button is back (Chainlit shows Stop while a handler runs)."""
    page.wait_for_selector("#chat-submit", timeout=120_000)


def _streaming(page: Any) -> None:
    """The slow reply's words are on screen in the newest message (not only the thinking line)."""
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-step-type="assistant_message"]')]
                 .slice(-1).some(e => e.innerText.includes('queue depth again'))""",
        timeout=60_000,
    )


def _stored(app_home: Path, thread_id: str) -> Session | None:
    with SessionStore(f"sqlite:///{app_home / 'cache' / 'interviewer' / 'interviewer.db'}") as store:
        return store.load_by_thread(thread_id)


def _question_owed_is_asked(app_home: Path, thread_id: str, after: str | None = None,
                            timeout: float = 120.0) -> Session:
    """Wait until the stored interview ends with a question (the answer before it, or `after`,
    got its reply)."""
    deadline = time.monotonic() + timeout
    while True:
        session = _stored(app_home, thread_id)
        spoken = [t for t in session.turns if t.role != "system"] if session else []
        answered = after is None or after in [t.text for t in spoken]
        if session is not None and answered and spoken and spoken[-1].role == "interviewer":
            return session
        assert time.monotonic() < deadline, [t.text[:40] for t in spoken[-3:]]
        time.sleep(0.25)


def _welcomed_back(page: Any, answers: int) -> None:
    """The reopened chat's own greeting (earlier ones are in the replayed thread too)."""
    page.wait_for_selector("#chat-input", timeout=30_000)
    page.wait_for_selector(f"text=/Welcome back. This interview is in progress: {answers} answers/", timeout=60_000)


def test_stop_reload_and_end_leave_no_traceback_in_the_log(
    chromium: Any, app: Any, app_home: Path, fake_llm: Any
) -> None:
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(app.url)
        page.wait_for_selector("#chat-input", timeout=30_000)
        send_when_idle(page, "Hello, I'm ready.")
        page.wait_for_url(re.compile(r".*/thread/[0-9a-f-]+"), timeout=120_000)
        thread_id = page.url.rstrip("/").rsplit("/", 1)[1]
        _question_owed_is_asked(app_home, thread_id)
        # The page hands the draft to /interviewer/prewarm, which finds this chat by its session.
        with page.expect_response(lambda r: r.url.endswith("/interviewer/prewarm"), timeout=15_000) as prewarm:
            page.fill("#chat-input", ANSWERS[0])
        assert prewarm.value.status == 200, prewarm.value.text()
        for answer in ANSWERS[:2]:
            send_when_idle(page, answer)
            assert answer in [t.text for t in _question_owed_is_asked(app_home, thread_id, after=answer).answers()]

        # Stop while the next question streams: the answer is kept, nothing half-asked is.
        fake_llm.configure(token_delay=SLOW, text_replies=[LONG])
        send_when_idle(page, ANSWERS[2])
        _streaming(page)
        page.click("#stop-button")
        _idle(page)
        fake_llm.configure(token_delay=FAST, text_replies=[])
        stopped = _stored(app_home, thread_id)
        assert stopped is not None and [t for t in stopped.turns if t.role != "system"][-1].text == ANSWERS[2]

        send_when_idle(page, "/persona dour-cto")
        page.wait_for_selector("text=/takes over from here/", timeout=60_000)

        # Reload: the chat resumes and asks the question the Stop left owed.
        page.reload()
        _welcomed_back(page, 3)
        assert _question_owed_is_asked(app_home, thread_id).persona == "dour-cto"
        _idle(page)

        # Reload while a question streams: the old chat's stream ends on its own, away from a page.
        fake_llm.configure(token_delay=SLOW, text_replies=[LONG])
        send_when_idle(page, ANSWERS[3])
        _streaming(page)
        page.reload()
        fake_llm.configure(token_delay=FAST, text_replies=[])
        _welcomed_back(page, 4)
        _question_owed_is_asked(app_home, thread_id, after=ANSWERS[3])
        _idle(page)

        # End pressed (on the question before) while the next one streams: the report waits for it.
        fake_llm.configure(token_delay=SLOW, text_replies=[LONG])
        send_when_idle(page, ANSWERS[4])
        _streaming(page)
        page.get_by_role("button", name=re.compile("End interview")).last.click()
        fake_llm.configure(token_delay=FAST, text_replies=[])
        page.wait_for_selector(".js-plotly-plot", timeout=120_000)
        page.wait_for_selector(f"text=/{READY}/", timeout=180_000)
        finished = _stored(app_home, thread_id)
        assert finished is not None and finished.finished

        # /end typed: the report again.
        send_when_idle(page, "/end")
        page.wait_for_function(f"() => (document.body.innerText.match(/{READY}/g) || []).length >= 2",
                               timeout=180_000)
        page.screenshot(path=str(ARTIFACTS / "e2e-clean-streams.png"))
        time.sleep(2)  # anything the garbage collector closes late is closed (and logged) by now
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "e2e-clean-streams-failed.png"))
        (ARTIFACTS / "e2e-clean-streams-failed.txt").write_text(page.inner_text("body"))
        raise
    finally:
        page.close()
    lines = app.log_path.read_text(errors="replace").splitlines()
    hits = [i for i, line in enumerate(lines) if any(bad in line for bad in BAD)]
    # The lines around the first hit, not the log's tail: the tail is usually the report's
    # rendering, long after whatever logged the traceback.
    around = "\n".join(lines[max(0, hits[0] - 15):hits[0] + 60]) if hits else ""
    assert not hits, f"{len(hits)} lines with {BAD} in {app.log_path}; around the first:\n{around}"
