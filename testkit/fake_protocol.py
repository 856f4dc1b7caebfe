"""The fake model server's data: requests as received, scripted replies, the fault plan, and
minimal valid instances of a requested tool's JSON schema. (The server: `fake_server`.)"""

from __future__ import annotations

import json
import random
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


FAULT_KINDS: tuple[str, ...] = (
    "hang", "429", "500", "503", "drop", "bad_tool_json", "empty_choices", "401",
)
# `hang` is left out of random faults by default: every hang costs the client its full timeout;
# `401` too: it is not transient (it echoes a masked key the way api.openai.com does).
DEFAULT_RANDOM_FAULTS: tuple[str, ...] = ("429", "500", "503", "drop", "bad_tool_json", "empty_choices")

DEFAULT_QUESTIONS: tuple[str, ...] = (
    "Thanks for joining us today. To start, could you tell me a bit about yourself?",
    "What are you working on at the moment, and what business problem does it solve?",
    "How did you find the root cause of that problem?",
    "Why did that happen in the first place?",
    "What did you change so that it cannot happen again?",
    "What was your part in that, exactly, as opposed to the team's?",
    "Tell me about a mistake you made. What did you learn from it?",
    "Tell me about a time you disagreed with a colleague. How did you resolve it?",
    "What impact did that have, in time, money or risk?",
    "Do you have any questions for us?",
)


# -- data ------------------------------------------------------------------------------------------
@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | str  # a str is sent verbatim (lets a test send broken JSON)

    def arguments_json(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    """One scripted answer. `content` for text; `tool_calls` for function calling."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_calls else "stop"


ScriptItem = str | dict[str, Any] | Reply
"""A str is text content; a dict is the arguments of a call to the requested tool."""


@dataclass
class RecordedRequest:
    """What arrived at the server (kept so tests can assert on the real prompt and headers)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    fault: str | None
    received_at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    @property
    def prompt_text(self) -> str:
        """All message contents joined: what the model has to read for this request."""
        return "\n".join(content_text(m.get("content")) for m in self.messages)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RecordedRequest":
        return cls(**data)


@dataclass
class ChatRequest:
    """A parsed chat-completions request, handed to a `responder`."""

    index: int  # 0-based count of chat requests this server has seen
    body: dict[str, Any]

    @property
    def model(self) -> str:
        return str(self.body.get("model") or "fake-model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def system_text(self) -> str:
        return "\n".join(content_text(m.get("content")) for m in self.messages if m.get("role") == "system")

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return content_text(message.get("content"))
        return ""

    @property
    def tool(self) -> dict[str, Any] | None:
        """The function the client asked for (named `tool_choice`, else the first tool)."""
        tools = [t.get("function", {}) for t in self.body.get("tools") or [] if isinstance(t, dict)]
        choice = self.body.get("tool_choice")
        if not tools or choice == "none":
            return None
        if isinstance(choice, dict):
            wanted = (choice.get("function") or {}).get("name")
            for tool in tools:
                if tool.get("name") == wanted:
                    return dict(tool)
        return dict(tools[0])


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


# -- faults ------------------------------------------------------------------------------------
@dataclass
class FaultPlan:
    """Which fault (if any) each chat request gets: the schedule first, then a seeded coin."""

    schedule: list[str | None] = field(default_factory=list)
    rate: float = 0.0
    kinds: tuple[str, ...] = DEFAULT_RANDOM_FAULTS
    seed: int = 0
    retry_after: float = 0.0  # seconds, sent as Retry-After (the OpenAI SDK honours it)
    hang_seconds: float = 3600.0  # a hang ends early when the server stops

    def __post_init__(self) -> None:
        unknown = {k for k in [*self.schedule, *self.kinds] if k is not None} - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s) {sorted(unknown)}; known: {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        self.kinds = tuple(self.kinds)
        self._queue: deque[str | None] = deque(self.schedule)
        self._rng = random.Random(self.seed)

    def next(self) -> str | None:
        if self._queue:
            return self._queue.popleft()
        if self.rate and self.kinds and self._rng.random() < self.rate:
            return self._rng.choice(self.kinds)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schedule": list(self._queue),
            "rate": self.rate,
            "kinds": list(self.kinds),
            "seed": self.seed,
            "retry_after": self.retry_after,
            "hang_seconds": self.hang_seconds,
        }


# -- JSON schema → minimal valid instance ------------------------------------------------------
def minimal_instance(schema: dict[str, Any], root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A small value that validates against `schema` (enough for pydantic/function calling).

    Picks the first enum value / const / default, the minimum for numbers, "" (or padding to
    minLength) for strings, `minItems` copies for arrays and every property for objects.
    """
    root = root if root is not None else schema
    if depth > 20:
        return None
    if "$ref" in schema:
        return minimal_instance(_resolve_ref(schema["$ref"], root), root, depth + 1)
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], root, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve_ref(part["$ref"], root) if "$ref" in part else part)
        return minimal_instance(merged, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        props = schema.get("properties", {})
        return {name: minimal_instance(sub, root, depth + 1) for name, sub in props.items()}
    if kind == "array":
        item_schema = schema.get("items") or {}
        return [minimal_instance(item_schema, root, depth + 1) for _ in range(int(schema.get("minItems", 0)))]
    if kind == "string":
        return "x" * int(schema.get("minLength", 0))
    if kind in ("integer", "number"):
        value: float = 0
        if "minimum" in schema:
            value = schema["minimum"]
        elif "exclusiveMinimum" in schema:
            value = schema["exclusiveMinimum"] + 1
        elif "maximum" in schema and schema["maximum"] < 0:
            value = schema["maximum"]
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None


def _resolve_ref(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return dict(node)
