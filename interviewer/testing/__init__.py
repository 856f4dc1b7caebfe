"""Test support that ships with the package so tests, e2e runs and benchmarks share one fake.

`FakeLLMServer` is a loopback OpenAI-compatible server with scripted replies, latency and faults
(`interviewer.testing.fake_server`); `interviewer.testing.drive` drives an engine like a candidate.
Names are imported lazily so `python -m interviewer.testing.fake_server` runs the module once.
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
    from interviewer.testing.fake_server import (
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
        return getattr(import_module("interviewer.testing.fake_server"), name)
    raise AttributeError(f"module 'interviewer.testing' has no attribute {name!r}")
