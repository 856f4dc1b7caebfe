"""Start, health-check and stop llama.cpp's OpenAI-compatible server for the embedded model.

The server runs as a child process on a free loopback port, so the rest of the code talks to it
exactly as it would to OpenAI or vLLM. Flags are chosen from measurements (DESIGN.md): the KV
cache on, logits_all off, and interrupt_requests off so a second request queues instead of
silently cutting a stream in half.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx


class LocalServerError(RuntimeError):
    """The embedded server could not be started or is not answering; the message says why."""


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


class LocalServer:
    """One llama.cpp server process. Use as a context manager or call start()/stop()."""

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
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.alias = alias
        self.startup_timeout = startup_timeout
        self.log_path = log_path
        self.port = port  # 0: pick a free loopback port at start
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.alias,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads),
            "--interrupt_requests", "False",
            "--cache", "True",
            "--logits_all", "False",
            "--verbose", "False",
        ]  # fmt: skip

    def start(self) -> "LocalServer":
        if not server_installed():
            raise LocalServerError(
                "The embedded model server (llama-cpp-python[server]) is not installed. "
                "Run `make run` (or `pip install -e '.[local]'`), or point the app at another "
                "server with INTERVIEWER_BACKEND=openai-compatible and INTERVIEWER_BASE_URL."
            )
        self.port = self.port or free_port()
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self._log = log if self.log_path else None
        # A new session so Ctrl-C in a terminal reaches us first and we stop it cleanly.
        self._proc = subprocess.Popen(
            self.command(),
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=server_environment(),
        )
        atexit.register(self.stop)
        self._wait_healthy()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        url = f"http://127.0.0.1:{self.port}/v1/models"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise LocalServerError(
                    f"The embedded model server exited with code {self._proc.returncode} while "
                    f"starting. {self._log_hint()}"
                )
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
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

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
