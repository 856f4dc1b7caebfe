"""Helpers the browser tests share (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any


def send_when_idle(page: Any, text: str) -> None:
    """Type and send as a person does: once the app is idle. While a handler still runs, Chainlit
    shows a stop button instead of the send button and drops what is sent (on a loaded machine a
    fixed pause after the last message is not enough)."""
    page.wait_for_selector("#chat-submit", timeout=240_000)
    page.fill("#chat-input", text)
    page.locator("#chat-submit:not([disabled])").click(timeout=10_000)
