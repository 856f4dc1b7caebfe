"""The embedded server is supervised (issue 11): its death is noticed by exit code at once, it is
restarted once with a notice, a second death is reported with the fix, and no server outlives the
process that started it, however that process ends. All against the real llama.cpp server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.config import load_settings
from interviewer.llm.local import LocalServer, LocalServerError, describe_exit
from interviewer.llm.model_files import ensure_model
from interviewer.llm.procfs import parent_pid, process_state
from interviewer.llm.provider import make_chat_model
from interviewer.resilience import user_message

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def model_path() -> Path:
    settings = load_settings()
    return ensure_model(settings.cache_dir, settings.model_path, settings.model_wheels_dir).path


def wait_for(predicate: object, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def stopped(pid: int) -> bool:
    return process_state(pid) == "T"


def pid_alive(pid: int) -> bool:
    return process_state(pid) not in (None, "Z")


EVENTS: list[str] = []


@pytest.fixture
def server(model_path: Path, tmp_path: Path) -> Iterator[LocalServer]:
    srv = LocalServer(model_path, n_ctx=512, n_threads=1, role="interviewer",
                      log_path=tmp_path / "server.log", on_event=EVENTS.append).start()  # fmt: skip
    yield srv
    srv.stop()


def ask(srv: LocalServer) -> str:
    model = make_chat_model(base_url=srv.base_url, api_key=None, model="local", openai_native=False,
                            temperature=0, max_tokens=3, max_retries=0, before_request=srv.ensure_running)  # fmt: skip
    return str(model.invoke("Say yes.").content)


def test_killed_server_restarts_once_on_its_port_with_one_notice_then_a_second_death_is_explained(
    server: LocalServer,
) -> None:
    assert ask(server)
    port, first_pid = server.port, server.pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    # The next request waits for the restart instead of failing on a dead port.
    assert ask(server)
    assert server.pid != first_pid and server.port == port
    notices = server.take_notices()
    assert len(notices) == 1 and "SIGKILL" in notices[0] and "restarted" in notices[0]
    assert server.take_notices() == []  # said once
    assert any("restarted" in e for e in EVENTS)  # and told at once (the CLI prints it on stderr)

    # Dies again (as a build for the wrong CPU does): no restart loop, the reason and the fix.
    second_pid = server.pid
    assert second_pid is not None
    os.kill(second_pid, signal.SIGILL)
    assert wait_for(lambda: server.failure is not None, 30)
    with pytest.raises(LocalServerError, match="make rebuild-model-server"):
        server.ensure_running()
    assert "giving up" in EVENTS[-1]
    with pytest.raises(Exception) as caught:
        ask(server)
    text = user_message(caught.value)
    assert "SIGILL" in text and "make rebuild-model-server" in text and "answer is saved" in text


def test_exit_descriptions_name_the_signal_and_the_fix() -> None:
    assert "SIGILL" in describe_exit(-signal.SIGILL) and "rebuild-model-server" in describe_exit(-signal.SIGILL)
    assert "out-of-memory" in describe_exit(-signal.SIGKILL)
    assert describe_exit(3) == "exited with code 3"


PARENT = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from interviewer.llm.local import LocalServer

    holder = {}
    # Started from a worker thread that then ends, as the app does: a parent-death signal tied
    # to that thread would fire too early, so the server watches the parent process instead.
    t = threading.Thread(target=lambda: holder.update(s=LocalServer(Path(sys.argv[1]), n_ctx=256, n_threads=1).start()))
    t.start(); t.join()
    print(holder["s"].pid, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("sig,frozen", [(signal.SIGTERM, False), (signal.SIGKILL, False), (signal.SIGKILL, True)])
def test_no_server_outlives_its_parent(model_path: Path, sig: signal.Signals, frozen: bool) -> None:
    """`frozen`: the evaluator's server paused by the scheduler (llm/scheduler.py) cannot watch
    its parent; the kernel hangs up and resumes its orphaned process group instead."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(model_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        time.sleep(1.5)  # the worker thread has long ended: the server must still be up
        assert pid_alive(server_pid)
        if frozen:
            os.kill(server_pid, signal.SIGSTOP)
            # The kernel resumes an orphaned group only if it *has* a stopped member when the
            # parent dies: wait until every thread of the server has stopped (the scheduler's
            # pauses last far longer than this; killing the parent within microseconds raced).
            assert wait_for(lambda: stopped(server_pid), 10), f"server {server_pid} did not stop"
        parent.send_signal(sig)
        parent.wait(timeout=10)
        assert wait_for(lambda: not pid_alive(server_pid), 10), f"server {server_pid} outlived its parent"
    finally:
        parent.kill()


def test_procfs_names_a_process_parent_and_none_for_a_gone_one() -> None:
    assert parent_pid(os.getpid()) == os.getppid()
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)  # reaped: gone from /proc
    assert parent_pid(child) is None
