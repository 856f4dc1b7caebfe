"""A spoken answer in a real browser (issue 25): Chromium's fake microphone plays a WAV that the
shipped Piper voice spoke; the app transcribes it with the shipped Whisper model, shows the
transcript as the candidate's message, and the interview goes on exactly as for typed text: a
follow-up comes, the answer is scored, and the stored turn is marked spoken. A second page
presses the mic on silence and gets the plain "I didn't hear anything" sentence, and can still
type. The model is the loopback fake (the flow is under test, not its words); speech is real.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PageTimeout

from browser_helpers import send_when_idle
from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from interviewer.session import EvalStatus, TurnKind
from interviewer.store import SessionStore
from interviewer.voice.audio import Pcm, from_samples
from interviewer.voice.text_to_speech import PiperSynthesizer, style_for

pytestmark = pytest.mark.e2e

SPOKEN = (
    "Our nightly billing export went from ten minutes to two hours. "
    "I read the query plan and saw a full table scan, because a migration had dropped an index. "
    "I restored the index and added a check to the build."
)
RATE = 48_000  # what Chromium's fake capture device records at


def _wav(path: Path, speech: Pcm | None, seconds_after: float) -> Path:
    pieces = [np.zeros(int(0.8 * RATE), dtype=np.float32)]
    if speech is not None:
        pieces.append(speech.samples())
    pieces.append(np.zeros(int(seconds_after * RATE), dtype=np.float32))
    path.write_bytes(from_samples(np.concatenate(pieces), RATE).wav())
    return path


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    speech = PiperSynthesizer(rate=RATE).speak(SPOKEN, style_for(0))
    path = _wav(tmp_path_factory.mktemp("voice") / "answer.wav", speech, 1.5)
    return path, speech.seconds + 2.3


@pytest.fixture(scope="module")
def silent_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _wav(tmp_path_factory.mktemp("voice") / "silence.wav", None, 2.0)


def _browser_with_mic(chromium: Any, wav: Path) -> Iterator[Any]:
    """A second Chromium from the same Playwright (one per test process), whose microphone plays
    `wav` once."""
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop"]
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=args)
    try:
        yield browser
    finally:
        browser.close()


def _toggle_mic(page: Any) -> None:
    """Chainlit's mic button has no id; its shortcut is P, outside the text box."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("p")


def _reply_after(page: Any, before: int) -> None:
    """Wait for an interviewer message beyond the `before` already on screen."""
    page.wait_for_function(
        "n => document.querySelectorAll('[data-step-type=\"assistant_message\"]').length > n",
        arg=before, timeout=120_000,
    )


def _typing_still_works(page: Any) -> None:
    before = page.locator('[data-step-type="assistant_message"]').count()
    send_when_idle(page, "Typed instead: the cache key left out the tenant id.")
    _reply_after(page, before)


def _open_interview(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#chat-input", timeout=30_000)
    send_when_idle(page, "Hi, ready when you are.")
    page.wait_for_selector("text=/about yourself/", timeout=120_000)  # the first question
    page.wait_for_selector("#chat-submit", timeout=120_000)  # ... and the app is idle again
    page.wait_for_url(re.compile(r".*/thread/[0-9a-f-]+"), timeout=10_000)


def test_a_spoken_answer_is_transcribed_answered_and_scored(
    app: Any, app_home: Path, chromium: Any, spoken_wav: tuple[Path, float]
) -> None:
    wav, seconds = spoken_wav
    for browser in _browser_with_mic(chromium, wav):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            _open_interview(page, app.url)
            before = page.locator('[data-step-type="assistant_message"]').count()
            _toggle_mic(page)
            page.wait_for_timeout(int(seconds * 1000))  # the fake mic plays the answer once
            page.screenshot(path=str(ARTIFACTS / "e2e-voice-listening.png"))
            _toggle_mic(page)

            # The transcript is the candidate's message ...
            page.wait_for_selector("text=/query plan/i", timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / "e2e-voice-transcript.png"))
            # ... and the interviewer answers it like typed text.
            _reply_after(page, before)
            page.wait_for_selector("text=/Used the evaluator on answer 1/", timeout=120_000)  # scored
            thread_id = page.url.rstrip("/").rsplit("/", 1)[1]
            with SessionStore(f"sqlite:///{app_home / 'cache' / 'interviewer' / 'interviewer.db'}") as store:
                session = store.load_by_thread(thread_id)
            assert session is not None
            answers = [t for t in session.turns if t.kind is TurnKind.ANSWER]
            spoken = [t for t in answers if t.spoken]
            assert len(spoken) == 1, [(t.text, t.spoken) for t in answers]
            assert spoken[0].evaluation is not None and spoken[0].evaluation.status is EvalStatus.OK
            words = spoken[0].text.lower()
            for word in ("billing", "query plan", "index"):
                assert word in words, spoken[0].text
            # The conversation before it is still there (Chainlit scrolls the newest answer to the top).
            assert "tell me a bit about yourself" in page.inner_text("body").lower()
            page.screenshot(path=str(ARTIFACTS / "e2e-voice-answered.png"))
        finally:
            page.close()


def test_silence_says_nothing_was_heard_and_typing_still_works(app: Any, chromium: Any, silent_wav: Path) -> None:
    for browser in _browser_with_mic(chromium, silent_wav):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            _open_interview(page, app.url)
            _toggle_mic(page)
            page.wait_for_timeout(2500)
            _toggle_mic(page)
            page.wait_for_selector("text=/didn't hear anything/", timeout=60_000)
            _typing_still_works(page)
        finally:
            page.close()


def test_a_microphone_refused_says_so_and_typing_still_works(app: Any, chromium: Any) -> None:
    """Playwright's browser grants no microphone (no permission, no fake device): the browser's
    recorder fails, Chainlit ends the audio, and the app says what to check."""
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        _open_interview(page, app.url)
        _toggle_mic(page)
        page.wait_for_selector("text=/didn't hear anything/", timeout=60_000)
        assert "microphone is allowed" in page.inner_text("body")
        _typing_still_works(page)
    finally:
        page.close()


def test_a_reload_mid_answer_keeps_what_was_heard(app: Any, chromium: Any, spoken_wav: tuple[Path, float]) -> None:
    """The page goes away while the candidate speaks: what was heard is written into the chat's
    history (not sent as the answer), and the reopened chat shows it."""
    wav, seconds = spoken_wav
    for browser in _browser_with_mic(chromium, wav):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            _open_interview(page, app.url)
            _toggle_mic(page)
            page.wait_for_timeout(int(seconds * 1000))
            page.reload()  # mid-answer: the mic is still on
            page.wait_for_selector("#chat-input", timeout=30_000)
            # The server transcribes what it had (about a second idle, longer on a busy machine)
            # and writes it into the chat's history, which the reopened chat shows: reopen until
            # it does (a bound, not a timing).
            deadline = time.monotonic() + 120
            while True:
                page.reload()
                page.wait_for_selector("#chat-input", timeout=30_000)
                try:
                    page.wait_for_selector("text=/connection dropped while you were speaking/", timeout=10_000)
                    break
                except PageTimeout:
                    assert time.monotonic() < deadline, "what was heard never reached the chat's history"
            assert "query plan" in page.inner_text("body").lower()
        finally:
            page.close()
