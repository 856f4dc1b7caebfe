"""kill -9 the app mid-interview, start it again: the thread resumes with every turn and score.

A real `chainlit run app.py` process and a real socket.io client speaking the browser's protocol
(no browser needed), against the loopback fake model server. The crash is timed for the worst
moment: the candidate's answer has been accepted and the interviewer is still thinking.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from interviewer.session import EvalStatus, Session
from interviewer.store import SessionStore
from testkit.fake_server import FakeServerProcess
from testkit.app_process import AppProcess, app_env

ANSWERS = [
    "I rebuilt our invoice export; month-end close went from three days to four hours.",
    "I found the slowness with EXPLAIN ANALYZE: a sequential scan on a 40M-row table. I added an index.",
    "The cause was a missing tenant id in the cache key; I added it and a regression test.",
]


class Client:
    """Just enough of the Chainlit web client: header login, socket.io session, messages."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.thread_id: str | None = None
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))
        if event == "first_interaction" and isinstance(data, dict):
            self.thread_id = data.get("thread_id")

    async def connect(self, thread_id: str | None = None, profile: str = "dour-cto") -> None:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            response = await http.post("/auth/header")
            response.raise_for_status()
            token = response.cookies["access_token"]
        await self.sio.connect(
            self.base_url,
            socketio_path="/ws/socket.io",
            transports=["websocket"],
            headers={"Cookie": f"access_token={token}"},
            auth={"sessionId": str(uuid.uuid4()), "clientType": "webapp", "threadId": thread_id,
                  "chatProfile": profile, "userEnv": "{}"},
        )
        await self.sio.emit("connection_successful")
        ready = "resume_thread" if thread_id else "chat_settings"  # on_chat_start/resume has run
        await self.wait_for(lambda: self.count(ready) >= 1, 20)
        await asyncio.sleep(0.2)

    async def say(self, text: str, wait: bool = True) -> None:
        ends = self.count("task_end")
        await self.sio.emit("client_message", {
            "message": {"threadId": self.thread_id or "", "id": str(uuid.uuid4()), "name": "local",
                        "type": "user_message", "output": text,
                        "createdAt": datetime.now(UTC).isoformat()},
            "fileReferences": [],
        })
        if wait:
            await self.wait_for(lambda: self.count("task_end") > ends, 20)

    def count(self, event: str) -> int:
        return sum(1 for e, _ in self.events if e == event)

    def payloads(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]

    async def wait_for(self, condition: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events so far: {[e for e, _ in self.events][-30:]}")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


@pytest.fixture
def fake() -> Iterator[FakeServerProcess]:
    with FakeServerProcess(ttft=0.02) as server:
        yield server


async def wait_store(store: SessionStore, thread_id: str, check: Any, timeout: float = 20) -> Session:
    deadline = time.monotonic() + timeout
    while True:
        session = await store.aload_by_thread(thread_id)
        if session is not None and check(session):
            return session
        if time.monotonic() > deadline:
            raise AssertionError(f"store never reached the expected state: {session!r}")
        await asyncio.sleep(0.1)


async def wait_step(db: Path, thread_id: str, text: str, timeout: float = 20) -> None:
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(db) as conn:
            rows = conn.execute('SELECT output FROM steps WHERE "threadId" = ?', (thread_id,)).fetchall()
        if any(text in (row[0] or "") for row in rows):
            return
        if time.monotonic() > deadline:
            raise AssertionError("Chainlit never stored the message's step")
        await asyncio.sleep(0.1)


def scored(session: Session) -> list[str]:
    return [t.id for t in session.answers() if t.evaluation and t.evaluation.status is EvalStatus.OK]


async def test_kill_9_mid_interview_then_resume(tmp_path: Path, fake: FakeServerProcess) -> None:
    env = app_env(fake.url, tmp_path)
    app = AppProcess(env, tmp_path / "app.log").start()
    store = SessionStore(f"sqlite:///{tmp_path / 'cache' / 'interviewer' / 'interviewer.db'}")
    client = Client(app.url)
    try:
        await client.connect()
        await client.say("Grill me like a real CTO would")  # opens the interview
        assert client.thread_id
        thread_id = client.thread_id
        for answer in ANSWERS[:2]:
            await client.say(answer)
        before = await wait_store(store, thread_id, lambda s: len(s.answers()) == 2 and all(
            t.evaluation is None or t.evaluation.status is not EvalStatus.PENDING for t in s.answers()))

        # The model now takes long to answer; the third answer goes in and the process dies
        # while the interviewer is still "thinking".
        fake.configure(ttft=30.0)
        await client.say(ANSWERS[2], wait=False)
        crashed = await wait_store(store, thread_id, lambda s: len(s.answers()) == 3)
        # Chainlit writes the message's step on its own schedule; kill once it is on disk too,
        # so the test is about a crash while the interviewer thinks, not a race with that write
        # (a kill inside that window loses the bubble from the restored thread view, not the
        # answer: it is in the session; see the closing notes of issue 11).
        await wait_step(tmp_path / "cache" / "interviewer" / "interviewer.db", thread_id, ANSWERS[2])
        app.kill()
        await client.close()

        assert [t.text for t in crashed.answers()] == ANSWERS  # saved before any model call
        assert crashed.turns[-1].role == "candidate"  # the question was never asked

        fake.configure(ttft=0.02)
        app.start()
        client = Client(app.url)
        await client.connect(thread_id=thread_id)
        await client.wait_for(lambda: client.count("resume_thread") == 1, 20)
        thread = client.payloads("resume_thread")[0]
        outputs = " ".join(s.get("output") or "" for s in thread["steps"])
        for answer in ANSWERS:
            assert answer in outputs  # every turn is back on screen
        for turn in before.questions():
            assert turn.text in outputs
        score_steps = [s for s in thread["steps"] if s["type"] == "tool" and "the evaluator on answer" in s["name"]]
        assert len(score_steps) == len(scored(before))  # every score that had landed

        # The owed question is asked and the unscored answer is scored, without any input.
        resumed = await wait_store(store, thread_id, lambda s: s.turns[-1].role == "interviewer" and all(
            t.evaluation is None or t.evaluation.status is EvalStatus.OK for t in s.answers()), timeout=30)
        assert [t.text for t in resumed.answers()] == ANSWERS
        assert set(scored(before)) <= set(scored(resumed))
        await client.wait_for(lambda: any(
            (d or {}).get("output") == resumed.turns[-1].text for d in client.payloads("new_message")), 10)
        # The interview goes on normally after the restart.
        await client.say("I'd ask what you measure first when a release goes wrong.")
        final = await store.aload_by_thread(thread_id)
        assert final is not None and len(final.answers()) == 4
    finally:
        await client.close()
        app.stop()
        store.close()
