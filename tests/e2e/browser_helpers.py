"""Helpers the browser tests share (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

SEND_DEADLINE_S = 240.0


def send_when_idle(page: Any, text: str) -> None:
    """Type and send as a person does: once the app is idle. While a handler still runs, Chainlit
    shows a stop button instead of the send button and drops what is sent (on a loaded machine a
    fixed pause after the last message is not enough). Typed again after each wait: on a busy
    machine the first chat page can still go through /login and back after the input appeared,
    which empties it, and an empty input never enables Send (a busy fresh-clone run, issue 26)."""
    deadline = time.monotonic() + SEND_DEADLINE_S
    while True:
        page.wait_for_selector("#chat-submit", timeout=SEND_DEADLINE_S * 1000)
        page.fill("#chat-input", text)
        try:
            page.locator("#chat-submit:not([disabled])").click(timeout=10_000)
            return
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise
