"""/end in the app (issue 14): the whole report on screen first, with the extractive rewrites, and
the model's rewrites swapped in after (webapp/feedback.py). Driven like tests/test_app_handlers.py
(real handlers in a ChainlitContext with a mocked emitter); the rewriter is a fake that blocks
until the test lets it answer, so "before" and "after" are certain, not timed."""

from __future__ import annotations

import asyncio
import sys
from typing import Any
from unittest.mock import AsyncMock, Mock

import pytest
from langchain_core.messages import AIMessage
from test_app_handlers import (  # noqa: F401 - fixtures, used by name
    STORY,
    Browser,
    browser,
    evaluator,
    live_session,
    message,
    model,
    services,
    started,
)

from interviewer.report import build_report
from interviewer.report.staged import PENDING_NOTE, pending, with_model_rewrites
from webapp import lifecycle, messages
from webapp.state import state, thread_id
from webapp.services import Services

# The candidate's own words only (the fact check drops a rewrite that adds a number or a name).
SARL_REPLY = ("Situation: The logs showed one slow query per row.\n"
              "Action: I found the query and fixed it.\n"
              "Result: I cut the latency.\n"
              "Lesson: I added a test so it can't come back.")


class BlockingRewriter:
    """A rewriter whose every call waits for `release`; then answers, or fails if told to."""

    def __init__(self, fail: bool = False) -> None:
        self.release = asyncio.Event()
        self.fail = fail
        self.calls = 0

    async def ainvoke(self, prompt: Any) -> AIMessage:
        self.calls += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("model server gone")
        return AIMessage(content=SARL_REPLY)


def report_message(browser: Browser) -> dict[str, Any]:
    found = [m for m in browser.messages() if m.get("name") == "Feedback report"]
    assert len(found) == 1, found
    return found[0]


def downloads(name_suffix: str) -> list[str]:
    """Every version of a report file handed to the browser (Chainlit's persist_file), in order."""
    from chainlit.context import context

    calls = context.session.persist_file.call_args_list
    return [c.kwargs["content"].decode() for c in calls if c.kwargs["name"].endswith(name_suffix)]


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """A data layer that keeps the last version of every step, as the database would."""
    steps: dict[str, dict[str, Any]] = {}
    layer = Mock()

    async def upsert(step: dict[str, Any]) -> None:
        steps[step["id"]] = step

    layer.create_step = AsyncMock(side_effect=upsert)
    layer.update_step = AsyncMock(side_effect=upsert)
    layer.delete_step = AsyncMock()
    layer.create_element = AsyncMock()
    layer.delete_element = AsyncMock()
    for module in ("chainlit.message", "chainlit.element", "chainlit.step"):
        monkeypatch.setattr(sys.modules[module], "get_data_layer", lambda: layer)
    return steps


async def interview_then_end(browser: Browser, services: Services, rewriter: BlockingRewriter) -> asyncio.Task[None]:
    services.report_model = rewriter
    await started(browser)
    for text in STORY:
        await messages.handle_message(message(text))
    await messages.handle_message(message("/end"))  # returns with the rewriter still blocked
    task = state().report_rewrites
    assert isinstance(task, asyncio.Task)
    return task


async def test_the_report_is_on_screen_before_the_model_rewrites_and_updated_after(
    browser: Browser, services: Services, stored: dict[str, dict[str, Any]]
) -> None:
    rewriter = BlockingRewriter()
    task = await interview_then_end(browser, services, rewriter)
    await asyncio.sleep(0.05)
    assert not task.done() and rewriter.calls == 1  # the model is still on its first rewrite
    first = report_message(browser)
    assert "Rewrites of your weakest answers" in first["output"] and "N+1" in first["output"]
    assert "Restructured from your own sentences" in first["output"]
    assert PENDING_NOTE.split(":")[0] in first["output"]
    assert any(t.startswith("Improving ") and "example answer" in t for t in browser.texts())
    # Downloading now gives the whole report, extractive, and saying so.
    assert len(downloads(".md")) == 1 and PENDING_NOTE.split(":")[0] in downloads(".md")[0]
    assert {e["name"].rsplit(".", 1)[1] for e in browser.events("element") if e["type"] == "file"} == {
        "md", "html", "json", "pdf"}
    # A chat reopened now would show this whole version (never a half-written one).
    assert stored[first["id"]]["output"] == first["output"]
    old_files = {e["id"] for e in browser.events("element") if e["type"] == "file"}

    rewriter.release.set()
    await asyncio.wait_for(task, 5)
    await asyncio.sleep(0.05)  # Chainlit writes to the data layer in tasks of its own
    final = report_message(browser)  # the same message, updated in place
    assert final["id"] == first["id"]
    assert "Restructured by the model" in final["output"] and "one slow query per row" in final["output"]
    assert PENDING_NOTE.split(":")[0] not in final["output"]
    assert stored[final["id"]]["output"] == final["output"]  # the stored report is the final one
    assert "one slow query per row" in downloads(".md")[-1] and PENDING_NOTE not in downloads(".md")[-1]
    removed = {e["id"] for e in browser.events("remove_element")}
    assert removed == old_files  # the old files went, after the new ones were sent
    new_files = {e["id"] for e in browser.events("element") if e["type"] == "file"} - old_files
    assert len(new_files) == 4
    assert browser.texts()[-1].startswith("The example answers are ready: the model rewrote")


async def test_a_failing_model_rewrite_keeps_the_extractive_one(browser: Browser, services: Services) -> None:
    rewriter = BlockingRewriter(fail=True)
    task = await interview_then_end(browser, services, rewriter)
    rewriter.release.set()
    await asyncio.wait_for(task, 5)
    final = report_message(browser)["output"]
    assert "Restructured from your own sentences" in final and "Restructured by the model" not in final
    assert "model rewrite unavailable (RuntimeError)" in final and PENDING_NOTE.split(":")[0] not in final
    assert browser.texts()[-1].startswith("The model couldn't improve the example answers")
    assert not any(t.startswith("⚠️") for t in browser.texts())


async def test_reopening_the_chat_mid_rewrite_shows_the_finished_interview(
    browser: Browser, services: Services
) -> None:
    rewriter = BlockingRewriter()
    task = await interview_then_end(browser, services, rewriter)
    from chainlit.context import context
    from chainlit.user_session import user_sessions

    user_sessions.pop(context.session.id, None)  # the page reloaded: a new chat session
    await lifecycle.resume_chat({"id": thread_id(), "metadata": {}})
    assert live_session().finished
    rewriter.release.set()
    await asyncio.wait_for(task, 5)  # the old session's task still finishes and stores the report
    for _ in range(100):
        if "its report is above" in browser.texts()[-1] or "The example answers are ready" in browser.texts()[-1]:
            break
        await asyncio.sleep(0.01)
    assert not any(t.startswith("⚠️") for t in browser.texts())


async def test_end_again_cancels_the_earlier_rewrites(browser: Browser, services: Services) -> None:
    rewriter = BlockingRewriter()
    first = await interview_then_end(browser, services, rewriter)
    await messages.handle_message(message("/end"))
    await asyncio.sleep(0.05)
    assert first.cancelled()
    assert any(t.startswith("Stopped improving the example answers") for t in browser.texts())
    rewriter.release.set()
    rewrites = state().report_rewrites
    assert rewrites is not None
    await asyncio.wait_for(rewrites, 5)
    assert browser.texts()[-1].startswith("The example answers are ready")


async def test_no_model_means_the_report_is_final_at_once(browser: Browser, services: Services) -> None:
    await started(browser)
    for text in STORY:
        await messages.handle_message(message(text))
    await messages.handle_message(message("/end"))
    output = report_message(browser)["output"]
    assert "Restructured from your own sentences" in output and PENDING_NOTE.split(":")[0] not in output
    assert not any(t.startswith("Improving ") for t in browser.texts())


async def test_the_two_stages_equal_the_one_step_report(browser: Browser, services: Services) -> None:
    """Everything but the rewrites' text is the same report, and the final one is exactly what
    `build_report` with the rewriter (the CLI's path) gives."""
    await started(browser)
    for text in STORY:
        await messages.handle_message(message(text))
    session = live_session()
    await services.engine.drain(session, timeout=5)
    rewriter = BlockingRewriter()
    rewriter.release.set()
    base = await build_report(session, [], rewriter=None)
    first = pending(base)
    assert first.model_copy(update={"rewrites": base.rewrites}) == base
    done: list[int] = []

    async def on_done(k: int) -> None:
        done.append(k)

    staged = await with_model_rewrites(base, session, rewriter, on_done)  # type: ignore[arg-type]
    direct = await build_report(session, [], rewriter=rewriter)  # type: ignore[arg-type]
    assert staged.model_dump(exclude={"generated_at"}) == direct.model_dump(exclude={"generated_at"})
    assert done == list(range(1, len(base.rewrites) + 1)) and base.rewrites
