"""Test-wide fixtures: a network guard, vcrpy configuration and the live embedded model.

- Every test runs behind a guard that fails any connection to a non-loopback address, so a test
  can never quietly depend on the internet (CI has none).
- Cassettes in tests/cassettes/ hold real HTTP recorded from the embedded llama.cpp server. They
  replay by default; `VCR_RECORD=1 pytest ...` re-records against a live server. Requests match on
  method, path and body, not host/port, because the local server picks a free port each run.
  `VCR_PRUNE=1 pytest <whole modules>` replays and rewrites each cassette with only the
  interactions the tests played (vcrpy's drop_unused_requests), for cassettes recorded before
  recording started them fresh.
- `live_runtime` starts the real embedded model once per test session (marker `live`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import vcr

from interviewer.config import Backend, load_settings
from interviewer.llm.provider import LLMRuntime, Role

TESTS = Path(__file__).resolve().parent
CASSETTES = TESTS / "cassettes"
RECORDING = os.environ.get("VCR_RECORD") == "1"

# Chainlit swaps OPENAI_API_KEY for a fake when CI=true; our config must not depend on it.
for _var in ("INTERVIEWER_BACKEND", "INTERVIEWER_BASE_URL", "INTERVIEWER_MODEL"):
    os.environ.pop(_var, None)
# A developer's own personas (~/.config/interviewer/personas) must not change what tests see.
os.environ["INTERVIEWER_PERSONAS_DIR"] = str(TESTS / "data" / "no-user-personas")


# -- network guard -----------------------------------------------------------------------------
def _is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly on any connection that leaves this machine."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        if isinstance(address, tuple) and address and isinstance(address[0], str):
            if not _is_loopback(address[0]):
                raise NetworkBlocked(f"test tried to reach {address!r}; only loopback is allowed")

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)


# -- vcrpy ---------------------------------------------------------------------------------------
SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "cookie", "set-cookie"]


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            headers.pop(name)
    return response


def _body_json(request: Any) -> Any:
    try:
        return json.loads(request.body or b"{}")
    except (ValueError, TypeError):
        return request.body


def _match_json_body(r1: Any, r2: Any) -> None:
    assert _body_json(r1) == _body_json(r2)


# Cassettes already emptied in this recording session: record mode "all" appends to a cassette,
# so without this every re-recording would keep the stale interactions of the one before.
# Record a cassette's whole test module at once (not one parametrization), or the rest is lost.
_FRESH: set[Path] = set()


class _Recorder(vcr.VCR):
    def use_cassette(self, path: Any = None, **kwargs: Any) -> Any:
        if RECORDING and path is not None:
            target = (CASSETTES / str(path)).resolve()
            if target not in _FRESH:
                _FRESH.add(target)
                target.unlink(missing_ok=True)
        return super().use_cassette(path, **kwargs)


def make_vcr() -> vcr.VCR:
    recorder = _Recorder(
        cassette_library_dir=str(CASSETTES),
        record_mode="all" if RECORDING else "none",
        match_on=["method", "path", "json_body"],
        filter_headers=SECRET_HEADERS,
        before_record_response=_scrub_response,
        decode_compressed_response=True,
        drop_unused_requests=os.environ.get("VCR_PRUNE") == "1",
    )
    recorder.register_matcher("json_body", _match_json_body)
    return recorder


@pytest.fixture
def cassette_vcr() -> vcr.VCR:
    return make_vcr()


# -- the real embedded model -------------------------------------------------------------------
@pytest.fixture(scope="session")
def live_runtime() -> Iterator[LLMRuntime]:
    """The embedded model, really started (checked, served by llama.cpp) for this test session."""
    settings = load_settings(backend=Backend.LOCAL)
    runtime = LLMRuntime(settings)
    try:
        runtime.start()
    except Exception as exc:  # the suite must say why, not skip silently
        pytest.fail(f"could not start the embedded model: {exc}")
    yield runtime
    runtime.stop()


class ReplayRuntime(LLMRuntime):
    """Same models and request bodies as the live runtime, but nothing is started: vcrpy answers
    every request from a cassette before any socket opens (port 9 is discard; nothing listens)."""

    def start(self) -> "ReplayRuntime":
        return self

    def base_url(self, role: Role = Role.INTERVIEWER) -> str | None:
        return "http://127.0.0.1:9/v1"


@pytest.fixture
def cassette_runtime(request: pytest.FixtureRequest) -> LLMRuntime:
    """The live embedded model while recording (VCR_RECORD=1), a replay-only runtime otherwise.

    Use with `cassette_vcr.use_cassette("name.yaml")` around the calls."""
    if RECORDING:
        return request.getfixturevalue("live_runtime")
    return ReplayRuntime(load_settings(backend=Backend.LOCAL))
