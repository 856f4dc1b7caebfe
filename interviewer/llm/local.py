"""Start, health-check and stop llama.cpp's OpenAI-compatible server for the embedded model.

The server runs as a child process on a free loopback port, so the rest of the code talks to it
exactly as it would to OpenAI or vLLM. Flags are chosen from measurements (DESIGN.md): the KV
cache on (bounded by what it really holds, see server_main.py), logits_all off, and
interrupt_requests off so a second request queues instead of silently cutting a stream in half.

The process is supervised: a thread waits on it, so its death is known at once by its exit code
(not after HTTP retries). It is restarted once on the same port, with a notice for the user; if it
dies again soon after, every request gets a `LocalServerError` that says what happened and how to
fix it (a SIGILL means the llama.cpp build uses instructions this CPU lacks).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from interviewer.llm.procfs import process_ending
from interviewer.llm.spawner import spawn_server


class LocalServerError(RuntimeError):
    """The embedded server could not be started or is not answering; the message says why."""


REBUILD_HINT = (
    "The llama.cpp build uses CPU instructions this machine cannot run: run "
    "`make rebuild-model-server` (it builds for this CPU's level), then start again."
)
# A restarted server that dies again within this many seconds is given up on.
RESTART_WINDOW_SECONDS = 300.0


def describe_exit(returncode: int) -> str:
    """'killed by SIGILL (illegal instruction)' or 'exited with code 1', plus the fix if known."""
    if returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        text = f"was killed by {name}"
        if sig == signal.SIGILL:
            text += f" (illegal instruction). {REBUILD_HINT}"
        elif sig == signal.SIGKILL:
            text += " (often the kernel's out-of-memory killer, or someone stopped it)"
        elif sig == signal.SIGSEGV:
            text += " (a crash inside llama.cpp; `make rebuild-model-server` may help)"
        return text
    return f"exited with code {returncode}"


# llama-cpp-python's server reads every one of its settings from an environment variable of the
# same name, without a prefix and ignoring case: `PORT=8123 make run` would make it bind the app's
# port, and an unrelated API_KEY would make it demand a key. The child gets an environment without
# them. (Field names of ServerSettings + ModelSettings in the pinned 0.3.36; a test checks this.)
LLAMA_SERVER_ENV_NAMES = frozenset(
    "api_key cache cache_size cache_type chat_format chat_template_kwargs clip_model_path config_file "
    "disable_ping_events draft_model draft_model_num_pred_tokens embedding flash_attn hf_model_repo_id "
    "hf_pretrained_model_name_or_path hf_tokenizer_config_path host interrupt_requests kv_overrides "
    "last_n_tokens_size logits_all lora_base lora_path main_gpu model model_alias mul_mat_q n_batch "
    "n_ctx n_gpu_layers n_threads n_threads_batch n_ubatch numa offload_kqv port root_path "
    "rope_freq_base rope_freq_scale rope_scaling_type rpc_servers seed split_mode ssl_certfile "
    "ssl_keyfile tensor_split type_k type_v use_mlock use_mmap verbose vocab_only yarn_attn_factor "
    "yarn_beta_fast yarn_beta_slow yarn_ext_factor yarn_orig_ctx".split()
)


def server_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k.lower() not in LLAMA_SERVER_ENV_NAMES}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None and importlib.util.find_spec(
        "llama_cpp.server"
    ) is not None


def tell(on_event: Callable[[str], None] | None, message: str) -> None:
    """Pass `message` to a supervisor's callback; a broken callback must not kill the thread."""
    if on_event is not None:
        try:
            on_event(message)
        except Exception:
            pass


class LocalServer:
    """One supervised llama.cpp server process. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        alias: str = "local",
        startup_timeout: float = 180.0,
        log_path: Path | None = None,
        port: int = 0,
        cache_bytes: int = 1 << 30,
        cache: bool = True,
        role: str = "model",
        restart_window: float = RESTART_WINDOW_SECONDS,
        on_event: Callable[[str], None] | None = None,
        verbose: bool = False,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.alias = alias
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.port = port  # 0: pick a free loopback port at start; kept across restarts
        self.cache_bytes = cache_bytes
        # The RAM prompt cache saves a state after every request (a copy of the KV and of ~300 MB
        # of logits: 0.1-1.2 s here) so another prompt can be resumed later. A server that serves
        # one role and is prewarmed (issue 14) always continues from its live state instead.
        self.cache = cache
        self.role = role
        self.restart_window = restart_window
        # llama.cpp's own log per request ("N prefix-match hit, remaining M prompt tokens to eval",
        # prompt-eval timings) in log_path: how the prefix cache is really used (bench_latency).
        self.verbose = verbose
        # Told at once (from the watcher thread) of a restart or of giving up: the CLI prints it
        # on stderr, the app logs it; the chat shows `take_notices()` on the next turn.
        self.on_event = on_event
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._lock = threading.RLock()
        self._stopping = False
        self._last_start = 0.0
        self._restarts = 0
        self._failure: str | None = None
        self._ready = threading.Event()
        self._notices: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "interviewer.llm.server_main",
            "--parent-pid", str(os.getpid()),
            "--role", self.role,
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads),
            "--interrupt_requests", "False",
            "--cache", str(self.cache),
            "--cache_size", str(self.cache_bytes),
            "--logits_all", "False",
            "--verbose", str(self.verbose),
        ]  # fmt: skip

    def start(self) -> "LocalServer":
        if not server_installed():
            raise LocalServerError(
                "The embedded model server (llama-cpp-python[server]) is not installed. "
                "Run `make run` (or `make model-server`), or point the app at another "
                "server with INTERVIEWER_BACKEND=openai-compatible and INTERVIEWER_BASE_URL."
            )
        with self._lock:
            self._stopping = False
            self._spawn()
        atexit.register(self.stop)
        return self

    def _spawn(self) -> None:
        """Start the process, wait until it answers, and watch it."""
        self._ready.clear()
        self.port = self.port or free_port()
        if self._log is None and self.log_path:
            self._log = open(self.log_path, "ab")  # noqa: SIM115
        out = self._log if self._log is not None else subprocess.DEVNULL
        # A process group of its own, so Ctrl-C in a terminal reaches us first and we stop it
        # cleanly. Forked from the spawner thread: the server dies with the app, even frozen by
        # the scheduler (server_main.die_with_parent, tests/test_scheduler.py). In the app's
        # session, so the kernel's hang-up of an orphaned stopped group can help where it comes.
        command = self.command()
        proc = spawn_server(
            lambda: subprocess.Popen(
                command,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                process_group=0,
                env=server_environment(),
            )
        )
        self._proc = proc
        self._last_start = time.monotonic()
        self._wait_healthy(proc)
        self._ready.set()
        threading.Thread(target=self._watch, args=(proc,), name=f"watch-{self.role}", daemon=True).start()

    def _watch(self, proc: subprocess.Popen[bytes]) -> None:
        """Wait for the process to end; if nobody asked it to, restart it once (see module doc).

        The lock is held only to decide, never while the new process loads, so `take_notices`
        (called from the app's event loop) never waits on a restart."""
        code = proc.wait()
        with self._lock:
            if self._stopping or proc is not self._proc:
                return
            self._ready.clear()
            what = f"The embedded {self.role} model server {describe_exit(code)}"
            if self._restarts and time.monotonic() - self._last_start < self.restart_window:
                self._failure = (
                    f"{what}, again, soon after a restart; giving up. {self._log_hint()} "
                    "Restart the app; if it keeps happening, run `interviewer doctor`."
                )
                self._ready.set()  # wake waiters so they see the failure
                self._tell(self._failure)
                return
            self._restarts += 1
        try:
            self._spawn()
        except LocalServerError as exc:
            self._failure = f"{what}, and could not be restarted: {exc}"
            self._ready.set()
            self._tell(self._failure)
            return
        if self.stop_requested():  # stop() ran while the new process loaded: it may have missed it
            self.stop()
            return
        notice = f"{what}; it was restarted and your interview goes on."
        with self._lock:
            self._notices.append(notice)
        self._tell(notice)

    def _tell(self, message: str) -> None:
        tell(self.on_event, message)

    def stop_requested(self) -> bool:
        return self._stopping

    def ensure_running(self, timeout: float | None = None) -> None:
        """Return once the server can take a request: wait out a restart, raise LocalServerError
        once it has been given up. The watcher learns of a death from the exit code; in the few
        milliseconds before it does (a killed process still tears down its memory, its port still
        open), the kernel's own view of the process says the same (`process_ending`), so no
        request is sent to a dying server."""
        deadline = time.monotonic() + (timeout or self.startup_timeout)
        while True:
            if self._failure is not None:
                raise LocalServerError(self._failure)
            if self._ready.is_set():
                proc = self._proc
                if proc is None:
                    raise LocalServerError(f"The embedded {self.role} model server is not running.")
                if not process_ending(proc.pid) and self._port_open():
                    return
            if time.monotonic() > deadline:
                raise LocalServerError(f"The embedded {self.role} model server is still restarting.")
            time.sleep(0.05)

    def _port_open(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def take_notices(self) -> list[str]:
        """Messages for the user about restarts since the last call (each is shown once)."""
        with self._lock:
            notices, self._notices = self._notices, []
        return notices

    @property
    def failure(self) -> str | None:
        return self._failure

    def _wait_healthy(self, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{self.port}/v1/models"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise LocalServerError(
                    f"The embedded model server {describe_exit(proc.returncode)} while starting. "
                    f"{self._log_hint()}"
                )
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self._kill(proc)
        raise LocalServerError(
            f"The embedded model server did not answer within {self.startup_timeout:.0f} s. "
            f"{self._log_hint()}"
        )

    def _log_hint(self) -> str:
        return f"See {self.log_path}." if self.log_path else "Set a log path to see its output."

    def running(self) -> bool:
        """The process is alive (it may be busy generating and slow to answer health checks)."""
        return self._proc is not None and self._proc.poll() is None

    def healthy(self) -> bool:
        if self._proc is None or self._proc.poll() is not None:
            return False
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/v1/models", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            # A frozen server (llm/scheduler.py) acts on SIGTERM only once it runs again.
            os.killpg(proc.pid, signal.SIGCONT)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            proc, self._proc = self._proc, None
        if proc is not None:
            self._kill(proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
