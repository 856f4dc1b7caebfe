"""The judge's reply: the tool schema built from the rubric's checks, and reading it back.

Small models wrap, re-case and misplace their answers; harmless variations are repaired here, but
a missing check is never guessed (a guess would be a made-up score): MalformedOutput instead.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, ConfigDict, create_model

from interviewer.evaluation.rubric import Rubric

TOOL_NAME = "record_checks"


class MalformedOutput(ValueError):
    """The model's reply could not be read as a complete set of yes/no checks."""


# -- the structured-output schema, built from the rubric's checks ----------------------------------
def checks_schema(rubric: Rubric) -> type[BaseModel]:
    """A pydantic model named after the tool: one list of sentence numbers per check, in rubric
    order. llama.cpp turns the schema into a grammar, so the embedded model can only write
    integers there; [] means no sentence shows the check."""
    # No per-field descriptions: the checks are spelled out in the system prompt, and a chat
    # template that renders tools would otherwise repeat them all in every prompt.
    fields: dict[str, Any] = {c.id: (list[int], ...) for c in rubric.checks}
    model = create_model(
        TOOL_NAME,
        __config__=ConfigDict(extra="ignore"),
        __doc__="Record, per check, the numbers of the sentences that show it.",
        **fields,
    )
    return model  # type: ignore[no-any-return]


# -- reading (and repairing) the model's reply ----------------------------------------------------
_NONE = {"", "none", "null", "no", "n/a", "-", "[]"}


def _numbers(value: Any) -> list[int] | None:
    """Sentence numbers from what small models write: [2, 3], 2, "2", "[2, 3]", "2 and 3",
    "none", []; None when the value is something else (a sentence, a yes, a dict)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return [value]
    if isinstance(value, list):
        out: list[int] = []
        for item in value:
            got = _numbers(item)
            if got is None:
                return None
            out.extend(got)
        return out
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _NONE:
            return []
        if re.fullmatch(r"[\[\]\s\d,;and#]+", text):
            return [int(n) for n in re.findall(r"\d+", text)]
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


def parse_reply(message: BaseMessage, rubric: Rubric) -> dict[str, list[int]]:
    """The cited sentence numbers per check, repairing harmless variations (wrappers, numbers as
    strings, JSON in content). Raises MalformedOutput when any check is missing or unreadable: a
    missing check is never guessed, because a guess would be a made-up score."""
    ids = [c.id for c in rubric.checks]
    problems: list[str] = []
    for obj in _candidates(message):
        cited: dict[str, list[int]] = {}
        for check_id in ids:
            value = _numbers(obj[check_id]) if check_id in obj else None
            if value is not None:
                cited[check_id] = value
        if len(cited) == len(ids):
            return cited
        problems.append(f"missing or invalid checks: {sorted(set(ids) - cited.keys())}")
    if not problems:
        problems.append("no tool call or JSON object in the reply")
    raise MalformedOutput("; ".join(problems)[:300])


# -- how sure the model was of each check ---------------------------------------------------------
def check_confidence(tokens: Sequence[Mapping[str, Any]], check_ids: Iterable[str]) -> dict[str, float]:
    """P(yes) per check, from the reply's tokens with their top log-probabilities (OpenAI's
    `logprobs.content`): at the token that starts a check's value, the probability of a list with
    a number over that of the empty list `[]`, which are the two continuations the grammar allows.
    A check whose value start is not found, or where neither continuation is among the top
    tokens, is left out (the caller keeps the sampled yes/no for it)."""
    pieces = [str(t.get("token", "")) for t in tokens]
    text = "".join(pieces)
    ends = list(itertools.accumulate(len(piece) for piece in pieces))
    out: dict[str, float] = {}
    for check_id in check_ids:
        key = re.search(r'"%s"\s*:' % re.escape(check_id), text)
        if key is None:
            continue
        value_at = key.end()
        # The token that holds the value's first character (it may also hold the ": " before it).
        index = bisect.bisect_right(ends, value_at)
        if index == len(pieces):
            continue
        before = text[ends[index] - len(pieces[index]):value_at]
        yes = no = 0.0
        for alternative in tokens[index].get("top_logprobs") or []:
            token = str(alternative.get("token", ""))
            if not token.startswith(before):
                continue
            rest = token[len(before):].lstrip()
            if not rest.startswith("["):
                continue
            inside = rest[1:].lstrip()
            share = math.exp(float(alternative.get("logprob", -math.inf)))
            if inside.startswith("]"):
                no += share
            elif not inside or inside[0].isdigit():
                yes += share
        if yes + no > 0:
            out[check_id] = yes / (yes + no)
    return out


def reply_confidence(message: BaseMessage, rubric: Rubric) -> dict[str, float]:
    """`check_confidence` of a reply that came with logprobs (langchain-openai keeps them in
    `response_metadata["logprobs"]`); empty when the backend sent none."""
    logprobs = message.response_metadata.get("logprobs") if isinstance(message, AIMessage) else None
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list):
        return {}
    return check_confidence([t for t in content if isinstance(t, dict)], [c.id for c in rubric.checks])


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
