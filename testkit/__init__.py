"""Test doubles shared by tests/, tests/e2e/ and benchmarks/; never shipped in the wheel.

This package sits at the repository root, outside `interviewer/`, so `pip install .` installs no
test double (tests/test_wheel_install.py checks it). Tests, benchmarks and tests/data scripts run
with the repository root on sys.path (pytest's `pythonpath`, benchmarks/_common.py), which is how
they import it. Nothing in interviewer/ or webapp/ may import it (tests/test_architecture.py).

`FakeLLMServer` is a loopback OpenAI-compatible server with scripted replies, latency and faults
(`testkit.fake_server`), for what needs a real socket or process: crash tests, e2e runs, soak
tests, benchmarks. Unit tests of one HTTP reply or fault use `httpx.MockTransport` instead
(tests/test_http_faults.py). `testkit.drive` drives an engine like a candidate,
`testkit.chat_model` is the in-process fake chat model, `testkit.app_process` runs the real app.
Names are imported lazily so `python -m testkit.fake_server` runs the module once.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "FAULT_KINDS",
    "ChatRequest",
    "FakeLLMServer",
    "FakeServerProcess",
    "FaultPlan",
    "RecordedRequest",
    "Reply",
    "ToolCall",
    "minimal_instance",
]

if TYPE_CHECKING:
    from testkit.fake_server import (
        FAULT_KINDS,
        ChatRequest,
        FakeLLMServer,
        FakeServerProcess,
        FaultPlan,
        RecordedRequest,
        Reply,
        ToolCall,
        minimal_instance,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("testkit.fake_server"), name)
    raise AttributeError(f"module 'testkit' has no attribute {name!r}")
