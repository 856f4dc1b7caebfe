"""Run the real app (`chainlit run app.py -h`) as a subprocess for browser and crash tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from interviewer.config import REPO_ROOT


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_root(home: Path) -> Path:
    """A Chainlit app root of the app's own under `home`. Chainlit keeps uploaded files in
    <root>/.files and deletes that folder when it stops, so apps sharing the repository's root
    (tests in parallel, a `make run` meanwhile) deleted each other's folder mid-test: the next
    report download failed with FileNotFoundError. Config, public files and the welcome page
    are links to the repository's."""
    root = home / "app-root"
    root.mkdir(parents=True, exist_ok=True)
    for name in (".chainlit", "public", "chainlit.md"):
        link = root / name
        if not link.exists():
            link.symlink_to(REPO_ROOT / name)
    return root


def app_env(model_url: str, home: Path) -> dict[str, str]:
    """Environment for an isolated app: fake model, its own cache, database, auth secret and
    Chainlit app root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTERVIEWER_", "CHAINLIT_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        INTERVIEWER_BACKEND="openai-compatible",
        INTERVIEWER_BASE_URL=model_url,
        INTERVIEWER_MODEL="fake-model",
        INTERVIEWER_REQUEST_TIMEOUT="20",
        INTERVIEWER_MAX_RETRIES="0",
        XDG_CACHE_HOME=str(home / "cache"),
        CHAINLIT_AUTH_SECRET="test-secret-" + "x" * 40,
        CHAINLIT_APP_ROOT=str(app_root(home)),
        PYTHONUNBUFFERED="1",
    )
    return env


class AppProcess:
    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "AppProcess":
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "chainlit", "run", str(REPO_ROOT / "app.py"), "-h", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the app did not start within {timeout}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no flushing; what a crash looks like."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
