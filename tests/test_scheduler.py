"""Candidate first (issue 14, llm/scheduler.py): the evaluator's server is frozen while an
interviewer request is in flight, and is never left frozen — not by a lost release, not by
stop(), not when the app dies. A harmless child (`sleep`, the loopback fake server) stands in for
the model server; /proc says whether it is stopped."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx  # what the OpenAI SDK sends with (llm/scheduler.py)
import pytest

from interviewer.config import Backend, load_settings
from interviewer.llm import provider
from interviewer.llm.local import LocalServer
from interviewer.llm.procfs import process_ending, process_state
from interviewer.llm.model_files import ModelCheck
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.llm.scheduler import ForegroundAsyncTransport, ForegroundGate, ForegroundTransport
from testkit.fake_server import server_command


def state(pid: int) -> str:
    """The process state letter from /proc ('S' sleeping, 'T' stopped, 'Z' zombie), or 'gone'."""
    return process_state(pid) or "gone"


def wait_for(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def stopped(pid: int) -> bool:
    return wait_for(lambda: state(pid) == "T", 5)


def running(pid: int) -> bool:
    return wait_for(lambda: state(pid) in ("S", "R"), 5)


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(["sleep", "600"])
    yield proc
    proc.kill()  # SIGKILL ends a stopped process too
    proc.wait()


@pytest.fixture
def gate(child: subprocess.Popen[bytes]) -> Iterator[ForegroundGate]:
    g = ForegroundGate(lambda: child.pid)
    yield g
    g.close()


def test_frozen_while_held_and_thawed_after(child: subprocess.Popen[bytes], gate: ForegroundGate) -> None:
    first = gate.hold()
    assert stopped(child.pid)
    second = gate.hold()  # overlapping requests: one freeze
    first()
    assert state(child.pid) == "T"
    first()  # a release twice counts once
    assert state(child.pid) == "T" and gate.held == 1
    second()
    assert running(child.pid) and gate.held == 0 and gate.pauses == 1
    # A stopped process is alive to the supervisor: not "ending", so no restart or failure.
    gate.hold()
    assert stopped(child.pid) and not process_ending(child.pid)


def test_holds_from_many_threads_balance(child: subprocess.Popen[bytes], gate: ForegroundGate) -> None:
    def storm() -> None:
        for _ in range(300):
            gate.hold()()

    # Storms alone: every hold balanced by its release, the process thawed at the end.
    threads = [threading.Thread(target=storm) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gate.held == 0 and gate.frozen_pid is None and running(child.pid)

    # With one long request in flight, no storm of short ones may thaw it.
    long_request = gate.hold()
    assert stopped(child.pid)
    states: list[str] = []
    threads = [threading.Thread(target=storm) for _ in range(8)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        states.append(state(child.pid))
    for t in threads:
        t.join()
    assert set(states) <= {"T"} and gate.held == 1
    long_request()
    assert running(child.pid) and gate.held == 0


def test_the_watchdog_thaws_after_a_lost_release(child: subprocess.Popen[bytes]) -> None:
    events: list[str] = []
    gate = ForegroundGate(lambda: child.pid, max_pause=0.3, on_event=events.append)
    try:
        lost = gate.hold()  # never released in time
        assert stopped(child.pid)
        assert running(child.pid)
        assert gate.overruns == 1 and gate.held == 0 and "paused" in events[0]
        lost()  # its late release is ignored: the count does not go negative
        assert gate.held == 0
        release = gate.hold()  # and the next request freezes it again
        assert stopped(child.pid)
        release()
        assert running(child.pid)
    finally:
        gate.close()


def test_close_thaws_and_later_holds_do_nothing(child: subprocess.Popen[bytes], gate: ForegroundGate) -> None:
    gate.hold()
    assert stopped(child.pid)
    gate.close()
    assert running(child.pid)
    gate.hold()()
    time.sleep(0.1)
    assert state(child.pid) in ("S", "R")


def test_no_process_no_freeze() -> None:
    gate = ForegroundGate(lambda: None)
    release = gate.hold()
    assert gate.frozen_pid is None
    release()
    gate.close()


# -- the transports: hold from request start until the response is closed ----------------------------
def test_sync_transport_holds_until_the_response_is_closed(child: subprocess.Popen[bytes], gate: ForegroundGate) -> None:
    states: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        states.append(state(child.pid))
        return httpx.Response(200, stream=httpx.ByteStream(b"data: one\n\n"))  # not pre-read

    with httpx.Client(transport=ForegroundTransport(gate, httpx.MockTransport(handler))) as client:
        with client.stream("POST", "http://model.test/v1/chat/completions") as response:
            assert stopped(child.pid)
            response.read()
        assert running(child.pid) and gate.held == 0
        assert states == ["T"]

        def boom(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused")

    with httpx.Client(transport=ForegroundTransport(gate, httpx.MockTransport(boom))) as client:
        with pytest.raises(httpx.ConnectError):
            client.get("http://model.test/v1/models")
    assert gate.held == 0 and running(child.pid)


async def test_async_transport_releases_on_close_error_and_cancel(
    child: subprocess.Popen[bytes], gate: ForegroundGate
) -> None:
    async def ok(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(b"data: one\n\ndata: two\n\n"))

    async with httpx.AsyncClient(transport=ForegroundAsyncTransport(gate, httpx.MockTransport(ok))) as client:
        async with client.stream("POST", "http://model.test/v1/chat/completions") as response:
            assert state(child.pid) == "T" or stopped(child.pid)
            async for _ in response.aiter_bytes():
                assert gate.held == 1
        assert gate.held == 0 and running(child.pid)
        # Closed early (the Stop button): released too.
        async with client.stream("POST", "http://model.test/v1/chat/completions") as response:
            assert gate.held == 1
        assert gate.held == 0

    async def fails(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    async with httpx.AsyncClient(transport=ForegroundAsyncTransport(gate, httpx.MockTransport(fails))) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("http://model.test/v1/models")
    assert gate.held == 0

    entered = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.sleep(60)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=ForegroundAsyncTransport(gate, httpx.MockTransport(slow))) as client:
        task = asyncio.create_task(client.get("http://model.test/v1/models"))
        await entered.wait()
        assert gate.held == 1 and stopped(child.pid)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert gate.held == 0 and running(child.pid)


async def test_a_streamed_question_through_the_sdk_freezes_the_evaluator_until_it_ends(
    child: subprocess.Popen[bytes], gate: ForegroundGate
) -> None:
    """The real client stack (langchain-openai -> openai -> httpx2) over real HTTP: the hold starts
    with the request and ends when the stream is done, streamed or not, and on a cut stream."""
    from interviewer.llm.provider import make_chat_model
    from testkit.fake_server import FakeLLMServer

    with FakeLLMServer(ttft=0.2, token_delay=0.05) as fake:
        chat = make_chat_model(base_url=fake.url, api_key=None, model="m", openai_native=False, max_retries=0,
                               streaming=True, foreground=gate)
        states = []
        async for _ in chat.astream("Ask me something."):
            states.append(state(child.pid))
        # Frozen for every token; langchain yields its closing chunk after the HTTP stream ended.
        assert len(states) > 3 and set(states[:-1]) == {"T"}, "".join(states)
        assert gate.held == 0 and running(child.pid)
        await chat.ainvoke("Ask me something.")
        assert gate.held == 0 and gate.pauses == 2
        stream = chat.astream("Ask me something.")
        await stream.__anext__()
        assert gate.held == 1
        await stream.aclose()  # the Stop button
        for _ in range(100):
            if gate.held == 0:
                break
            await asyncio.sleep(0.05)
        assert gate.held == 0 and running(child.pid)


# -- the runtime wires it for the embedded backend only ----------------------------------------------
class StubServer:
    """Stands in for LocalServer in LLMRuntime.start: records its threads, owns a `sleep`."""

    made: list["StubServer"] = []

    def __init__(self, model_path: Path, *, n_threads: int, role: str, **_: object) -> None:
        self.n_threads, self.role = n_threads, role
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = f"http://127.0.0.1:9/{role}/v1"
        StubServer.made.append(self)

    def start(self) -> "StubServer":
        self.proc = subprocess.Popen(["sleep", "600"])
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure_running(self) -> None:
        return None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def stub_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type[StubServer]]:
    StubServer.made = []
    monkeypatch.setattr(provider, "ensure_model", lambda *a, **k: ModelCheck(tmp_path / "m.gguf", None, False, False))
    monkeypatch.setattr(provider, "LocalServer", StubServer)
    monkeypatch.setattr(provider.os, "cpu_count", lambda: 2)
    yield StubServer


def test_the_runtime_gives_every_core_and_pauses_the_evaluator_for_the_interviewer(
    stub_runtime: type[StubServer], tmp_path: Path
) -> None:
    runtime = LLMRuntime(load_settings(backend=Backend.LOCAL, cache_dir=tmp_path, request_timeout=30)).start()
    try:
        assert [s.n_threads for s in stub_runtime.made] == [2, 2]
        gate = runtime.foreground
        assert gate is not None
        interviewer = runtime.chat_model(Role.INTERVIEWER, streaming=True)
        evaluator = runtime.chat_model(Role.EVALUATOR)
        assert isinstance(interviewer.http_async_client._transport, ForegroundAsyncTransport)  # type: ignore[union-attr]
        assert isinstance(interviewer.http_client._transport, ForegroundTransport)  # type: ignore[union-attr]
        assert not isinstance(evaluator.http_async_client._transport, ForegroundAsyncTransport)  # type: ignore[union-attr]
        assert evaluator.request_timeout == 30 + gate.max_pause  # a pause must not time it out
        assert interviewer.request_timeout == 30
        judge = stub_runtime.made[1]
        assert judge.pid is not None
        gate.hold()
        assert stopped(judge.pid)
    finally:
        runtime.stop()  # thaws before it stops the servers
    assert runtime.foreground is None


@pytest.mark.parametrize("overrides", [{"local_scheduler": False}, {"local_separate_evaluator": False}])
def test_without_the_scheduler_the_cores_are_split_as_before(
    stub_runtime: type[StubServer], tmp_path: Path, overrides: dict[str, bool]
) -> None:
    runtime = LLMRuntime(load_settings(backend=Backend.LOCAL, cache_dir=tmp_path, **overrides)).start()
    try:
        assert runtime.foreground is None
        expected = [1, 1] if overrides.get("local_scheduler") is False else [2]
        assert [s.n_threads for s in stub_runtime.made] == expected
    finally:
        runtime.stop()


def test_the_setting_reads_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEWER_LOCAL_SCHEDULER", "0")
    assert not load_settings(backend=Backend.LOCAL).local_scheduled
    monkeypatch.delenv("INTERVIEWER_LOCAL_SCHEDULER")
    assert load_settings(backend=Backend.LOCAL).local_scheduled
    settings = load_settings(backend=Backend.OPENAI_COMPATIBLE, base_url="http://localhost:11434/v1")
    assert not settings.local_scheduled  # remote backends are never paused
    assert LLMRuntime(settings).start().foreground is None


# -- a frozen server, supervised: alive, reachable, stoppable, and gone with the app ------------------
class FakeModelServer(LocalServer):
    """LocalServer running the loopback fake OpenAI server instead of llama.cpp (no model)."""

    def command(self) -> list[str]:
        return server_command("--port", str(self.port), "--quiet")


def test_a_frozen_server_is_running_to_its_supervisor_and_stops_promptly(tmp_path: Path) -> None:
    server = FakeModelServer(tmp_path / "m.gguf", role="evaluator", startup_timeout=30).start()
    try:
        pid = server.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        assert stopped(pid)
        server.ensure_running(timeout=5)  # no deadlock, no "restarting": the request may wait
        assert server.running() and not process_ending(pid) and server.take_notices() == []
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 5  # SIGTERM, then SIGCONT so it acts on it
        assert state(pid) == "gone"
    finally:
        server.stop()


# The app: it starts the server from a worker thread that then ends, as the app does, and prints
# the server's pid once that thread is gone. The server is the loopback fake run the real server's
# way: `server_main.die_with_parent` first (what `python -m interviewer.llm.server_main` does), so
# it ends with the app exactly as llama.cpp's server does.
APP = textwrap.dedent(
    """
    import json, os, sys, threading, time
    from pathlib import Path
    from interviewer.llm.local import LocalServer

    class FakeModelServer(LocalServer):
        def command(self):
            python, flag, boot, *args = json.loads(sys.argv[1])  # testkit's server_command()
            assert flag == "-c"
            guard = f"from interviewer.llm.server_main import die_with_parent; die_with_parent({os.getpid()})\\n"
            return [python, flag, guard + boot, *args, "--port", str(self.port), "--quiet"]

    holder = {}
    t = threading.Thread(target=lambda: holder.update(s=FakeModelServer(Path("m.gguf"), startup_timeout=60).start()))
    t.start(); t.join()
    print("server", holder["s"].pid, flush=True)
    time.sleep(600)
    """
)

# The app's parent (a terminal's shell, a process supervisor): starts the app, reaps every child
# and says which. "terminal": a hang-up ends the orphaned server where the kernel sends one.
# "hostile" takes away every help the kernel gives an orphaned frozen server: it
# is a subreaper in the app's session (as tini -s, a CI agent or systemd-run can be), so the
# orphaned server becomes its child, its process group is not orphaned and the kernel neither
# hangs it up nor resumes it; and SIGHUP is ignored, inherited by the app and the server (nohup,
# some CI runners), so a hang-up would not end it either.
SUPERVISOR = textwrap.dedent(
    """
    import ctypes, os, signal, subprocess, sys
    if sys.argv[1] == "hostile":
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        if libc.prctl(PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)):
            raise OSError(ctypes.get_errno(), "PR_SET_CHILD_SUBREAPER")
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)  # as from a terminal, however pytest was started
    app = subprocess.Popen([sys.executable, "-c", *sys.argv[2:]])
    print("app", app.pid, flush=True)
    while True:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        print("reaped", pid, flush=True)
    """
)


def sighup_ignored(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGHUP - 1)))
    return False


@pytest.mark.parametrize("hostile", [False, True], ids=["terminal", "no-hangup-no-resume"])
def test_a_frozen_server_does_not_outlive_a_killed_app(hostile: bool) -> None:
    """A frozen server cannot watch its parent, and the kernel's hang-up of an orphaned stopped
    group does not always come (see SUPERVISOR). The server asked Linux to SIGKILL it when the
    app's thread that started it ends (server_main.die_with_parent; local.py forks every server
    from one thread that ends only with the app), so by the time the app can be reaped the
    server has been sent SIGKILL, frozen or not: no polling interval, no SIGCONT needed."""
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, "hostile" if hostile else "terminal", APP, json.dumps(server_command())],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert supervisor.stdout is not None
    lines = supervisor.stdout

    def next_pid(tag: str) -> int:
        for line in lines:
            word, pid = line.split()
            if word == tag:
                return int(pid)
        raise AssertionError(f"the supervisor ended before it said {tag!r}")

    app_pid = server_pid = None
    try:
        app_pid = next_pid("app")
        server_pid = next_pid("server")
        # The worker thread that started it has ended: the parent-death signal did not follow it.
        assert not process_ending(server_pid), f"server {server_pid} {state(server_pid)}: killed with the worker thread"
        assert sighup_ignored(server_pid) == hostile
        os.kill(server_pid, signal.SIGSTOP)
        assert stopped(server_pid)
        os.kill(app_pid, signal.SIGKILL)
        while next_pid("reaped") != app_pid:  # the server, if it went first
            pass
        # Every thread of the app has exited, so the kill was sent: the server is gone, a zombie,
        # exiting or has SIGKILL pending. (Polled only to step over the microseconds in which a
        # running server has taken SIGKILL off its pending set but not yet marked itself exiting.)
        assert wait_for(lambda: process_ending(server_pid), 2), f"server {server_pid} left {state(server_pid)}, not killed"
        # A SIGKILLed process cannot refuse or wait for SIGCONT; its exit only takes CPU time.
        assert wait_for(lambda: state(server_pid) in ("gone", "Z"), 30), f"server {server_pid} left {state(server_pid)}"
    finally:
        for pid in (server_pid, app_pid):
            if pid is not None and state(pid) not in ("gone", "Z"):
                os.kill(pid, signal.SIGKILL)
        supervisor.kill()
        supervisor.wait()
        lines.close()
