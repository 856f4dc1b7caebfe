"""`interviewer app` becomes the app (exec): stopping it however it is stopped stops the app."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from interviewer.llm.local import free_port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_interviewer_app_stops_chainlit_too(tmp_path, sig) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {
        **os.environ,
        # No model is needed to serve pages; a remote backend avoids starting llama.cpp here.
        "INTERVIEWER_BACKEND": "openai-compatible",
        "INTERVIEWER_BASE_URL": "http://127.0.0.1:9/v1",
        "INTERVIEWER_CACHE_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "interviewer.cli", "app", "--port", str(port), "--headless"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("the app did not come up")
        proc.send_signal(sig)
        proc.wait(timeout=30)
        time.sleep(1)
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"chainlit still listens after {sig.name}"
    finally:
        if proc.poll() is None:
            proc.kill()
