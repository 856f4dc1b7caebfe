"""The judge's reply: the tool schema built from the rubric's checks, and reading it back.

Small models wrap, re-case and misplace their answers; harmless variations are repaired here, but
a missing check is never guessed (a guess would be a made-up score): MalformedOutput instead.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, ConfigDict, Field, create_model

from interviewer.evaluation.rubric import Rubric
from interviewer.session import DIMENSIONS

TOOL_NAME = "record_checks"


class MalformedOutput(ValueError):
    """The model's reply could not be read as a complete set of yes/no checks."""


# -- the structured-output schema, built from the rubric's checks ----------------------------------
def checks_schema(rubric: Rubric, ask_quotes: bool = True) -> type[BaseModel]:
    """A pydantic model named after the tool: one Literal["yes","no"] field per check (enums,
    because the embedded server does not enforce JSON-schema min/max), plus optional quotes."""
    fields: dict[str, Any] = {
        c.id: (Literal["yes", "no"], Field(description=c.question)) for c in rubric.checks
    }
    if ask_quotes:
        for dim in DIMENSIONS:
            fields[f"{dim.value}_quote"] = (
                str,
                Field(default="", description=f"Exact words from the answer that best show its {dim.value}"),
            )
    model = create_model(
        TOOL_NAME, __config__=ConfigDict(extra="ignore"), __doc__="Record the yes/no checks.", **fields
    )
    return model  # type: ignore[no-any-return]


# -- reading (and repairing) the model's reply ----------------------------------------------------
_YES = {"yes", "y", "true", "1", "oui", "ja"}
_NO = {"no", "n", "false", "0", "none", "null", ""}


def _yes_no(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and value in (0, 1):
        return "yes" if value else "no"
    if isinstance(value, str):
        text = value.strip().strip("\"'.").lower()
        if text in _YES:
            return "yes"
        if text in _NO and text:
            return "no"
    return None


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object embedded in free text (models sometimes answer in content)."""
    found: list[dict[str, Any]] = []
    decoder = json.JSONDecoder()
    for start in [m.start() for m in re.finditer(r"\{", text)]:
        try:
            obj, _ = decoder.raw_decode(text[start:])
        except ValueError:
            continue
        if isinstance(obj, dict):
            found.append(obj)
    return found


def _candidates(message: BaseMessage) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            out.append(dict(call.get("args") or {}))
        for bad in message.invalid_tool_calls:
            out.extend(_json_objects(str(bad.get("args") or "")))
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    out.extend(_json_objects(content))
    # Unwrap the shapes small models like to add: {"arguments": {...}}, {"properties": {...}}.
    unwrapped: list[dict[str, Any]] = []
    for obj in out:
        unwrapped.append(obj)
        for key in ("arguments", "parameters", "properties", "args", TOOL_NAME):
            inner = obj.get(key)
            if isinstance(inner, str):
                unwrapped.extend(_json_objects(inner))
            elif isinstance(inner, dict):
                unwrapped.append(inner)
    return unwrapped


def parse_reply(message: BaseMessage, rubric: Rubric) -> tuple[dict[str, bool], dict[str, str]]:
    """Read the checks (and quotes) from a reply, repairing harmless variations (case, booleans,
    wrappers, JSON in content). Raises MalformedOutput when any check is missing or unreadable:
    a missing check is never guessed, because a guess would be a made-up score."""
    ids = [c.id for c in rubric.checks]
    problems: list[str] = []
    for obj in _candidates(message):
        answers: dict[str, bool] = {}
        for check_id in ids:
            value = _yes_no(obj.get(check_id)) if check_id in obj else None
            if value is not None:
                answers[check_id] = value == "yes"
        if len(answers) == len(ids):
            quotes = {
                d.value: obj[f"{d.value}_quote"].strip()
                for d in DIMENSIONS
                if isinstance(obj.get(f"{d.value}_quote"), str) and obj[f"{d.value}_quote"].strip()
            }
            return answers, quotes
        problems.append(f"missing or invalid checks: {sorted(set(ids) - answers.keys())}")
    if not problems:
        problems.append("no tool call or JSON object in the reply")
    raise MalformedOutput("; ".join(problems)[:300])


# -- verbatim quotes ------------------------------------------------------------------------------
def find_verbatim(quote: str, answer: str) -> str | None:
    """The exact substring of `answer` that `quote` copies, or None.

    Tolerates only what copying cannot change the meaning of: surrounding quote marks/ellipses,
    letter case and runs of whitespace. The returned text is always cut from `answer` itself.
    """
    core = quote.strip().strip("\"'“”‘’`").strip().strip(".…").strip()
    if len(core) < 3:
        return None
    if core in answer:
        return core
    words = [re.escape(w) for w in core.split()]
    if not words:
        return None
    match = re.search(r"\s+".join(words), answer, re.IGNORECASE)
    return answer[match.start() : match.end()] if match else None
