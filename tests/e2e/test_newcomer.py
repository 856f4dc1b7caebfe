"""The newcomer's path, as CI's proof (issue 11): `make run` serves the app on the embedded model,
an interview turn completes in Chromium, killing the interviewer's model server mid-interview
costs one notice and nothing else, and stopping the app leaves no model server behind.

Runs the real `make run` (already installed by `make test`, so make only checks its stamps), with
its own database so the user's history is untouched. Slow by nature: the real model answers."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from browser_helpers import send_when_idle
from interviewer.config import REPO_ROOT
from interviewer.llm.procfs import parent_pid, process_state
from interviewer.store import SessionStore
from testkit.app_process import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.live]
ARTIFACTS = REPO_ROOT / "test-artifacts"


def _descends_from(pid: int, ancestor: int) -> bool:
    seen = 0
    while pid > 1 and seen < 64:
        if pid == ancestor:
            return True
        parent = parent_pid(pid)
        if parent is None:
            return False
        pid, seen = parent, seen + 1
    return False


def server_pids(under: int, role: str | None = None) -> list[int]:
    """The embedded model servers started under `under` (the `make run` of this test): never
    another app's or another test run's, which may share a busy machine with this one."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"interviewer.llm.server_main" in args and (role is None or role.encode() in args):
            if _descends_from(int(entry.name), under):
                pids.append(int(entry.name))
    return pids


def _alive(pid: int) -> bool:
    return process_state(pid) not in (None, "Z")


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture(scope="module")
def made_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    port = free_port()
    db = tmp_path_factory.mktemp("newcomer") / "interviewer.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "CHAINLIT_"))}
    env.pop("DATABASE_URL", None)
    env["INTERVIEWER_DATABASE_URL"] = f"sqlite:///{db}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "newcomer-make-run.log").open("wb")
    proc = subprocess.Popen(["make", "run", "HOST=127.0.0.1", f"PORT={port}"], cwd=REPO_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def served() -> bool:
        assert proc.poll() is None, f"make run exited with {proc.returncode}; see {log.name}"
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        assert wait_for(served, 600), "make run did not serve the page within 10 minutes"
        yield url, db, proc.pid
    finally:
        # Its servers, named before the app goes (an orphan is reparented, so it is found by pid).
        ours = set(server_pids(proc.pid))
        # What Ctrl-C in the terminal does: the signal reaches the whole foreground group.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    # 30 s: a 2 GB server that was mid-request takes a while to exit when the cores are busy
    # (15 s once failed with three model servers sharing 2 cores); an orphan never exits at all.
    assert wait_for(lambda: not any(_alive(pid) for pid in ours), 30), "a model server outlived the app"


def question_saved_after(db: Path, answer: str) -> bool:
    with SessionStore(f"sqlite:///{db}") as store:
        sessions = store.list_for_user("local")
    if not sessions:
        return False
    turns = sessions[0].turns
    texts = [t.text for t in turns]
    return answer in texts and turns[-1].role == "interviewer" and texts.index(answer) < len(turns) - 1


def _assistant_texts(page: Any) -> list[str]:
    return [t.strip() for t in page.locator('[data-step-type="assistant_message"]').all_inner_texts()]


def _wait_new_question(page: Any, count: int, timeout_ms: int = 240_000) -> None:
    page.wait_for_function(
        """(n) => {
            const msgs = [...document.querySelectorAll('[data-step-type="assistant_message"]')]
              .filter(e => e.innerText.trim().length > 0 && !e.innerText.includes('thinking'));
            return msgs.length >= n;
        }""",
        arg=count,
        timeout=timeout_ms,
    )


def test_make_run_serves_an_interview_on_the_embedded_model_and_survives_a_server_kill(
    chromium: Any, made_app: tuple[str, Path, int]
) -> None:
    url, db, app_pid = made_app
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(url)
        page.wait_for_selector("#chat-input", timeout=60_000)
        # Start as a newcomer does: one of the welcome screen's starters.
        starter = page.locator("#starters button").first
        starter.wait_for(timeout=60_000)
        starter.click()
        _wait_new_question(page, 1)
        first = len(_assistant_texts(page))

        answer = ("I led the migration of our billing jobs to a queue. The nightly batch took six hours "
                  "because every invoice was a separate transaction; I grouped them per customer, which "
                  "brought it to forty minutes, and added an alert on queue depth.")
        send_when_idle(page, answer)
        _wait_new_question(page, first + 1)
        page.screenshot(path=str(ARTIFACTS / "newcomer-1-turn.png"))

        # Kill the interviewer's model server between two turns, once the next question is
        # complete and saved (the store has it; what is on screen may still be streaming): the
        # next turn restarts it.
        assert wait_for(lambda: question_saved_after(db, answer), 240), "the next question was never saved"
        page.wait_for_selector("#chat-submit", timeout=240_000)
        victims = server_pids(app_pid, "interviewer")
        assert victims, "no interviewer model server found"
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        count = len(_assistant_texts(page))
        second = "Because the queue gave us retries per customer instead of rerunning the whole night."
        send_when_idle(page, second)
        # Two new messages: the one notice about the restart, and the next question.
        _wait_new_question(page, count + 2)
        page.wait_for_selector("text=/was restarted/", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "newcomer-2-after-kill.png"))
        body = page.inner_text("body")
        assert body.count("was restarted") == 1
        assert "connection to the model was lost" not in body

        # Nothing lost: both answers are in the database in order.
        with SessionStore(f"sqlite:///{db}") as store:
            sessions = store.list_for_user("local")
        assert len(sessions) == 1
        texts = [t.text for t in sessions[0].answers()]
        assert texts[-2:] == [answer, second]
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "newcomer-failed.png"))
        (ARTIFACTS / "newcomer-failed.txt").write_text(page.inner_text("body"))
        raise
    finally:
        page.close()
