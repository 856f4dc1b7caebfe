"""The model's half of claim extraction: ONE function call, constrained by a JSON schema, that lists
where an answer states a checkable fact and what kind of fact it is. Nothing here is trusted: every
proposal is a pointer that `adopt` checks against the text and re-reads with the code parsers.

Why it looks like this:
- A 1.5B model copies short clauses well but misreads numbers, owners and dates (DESIGN.md), so it
  is asked only for the quote, a kind from a fixed list and, for ownership, the thing's name.
  llama.cpp turns the schema into a grammar: the kind can only be one of the listed words, the
  list and the strings are bounded, so a reply cannot run on.
- The fixed instructions and examples come first (prompts/ledger_claims_system.md), the text last,
  so the server reuses the cached prefix from one answer to the next.
- The text is fenced as data. The fence is fixed, not random like the evaluator's: whatever an
  answer makes the model propose is still only kept when code finds it in the answer itself.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from interviewer.prompt_templates import load_prompt
from interviewer.text import sentences

TOOL_NAME = "record_claims"
ProposalKind = Literal["team_size", "users", "number", "duration", "date", "title", "ownership"]
MAX_PROPOSALS = 8
MAX_QUOTE_CHARS = 240
MAX_THING_CHARS = 60
# The model reads at most this much of a text (about 750 tokens); code still reads all of it.
MAX_TEXT_CHARS = 3_000


class MalformedProposals(ValueError):
    """The model's reply held no readable list of claims."""


class Proposal(BaseModel):
    """One fact the model says the text states: where (a verbatim clause) and what kind."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    quote: str = Field(max_length=MAX_QUOTE_CHARS)
    kind: ProposalKind
    thing: str = Field(max_length=MAX_THING_CHARS)  # required, so the grammar always asks for it


def proposals_schema() -> type[BaseModel]:
    """The tool, named after TOOL_NAME: a bounded list of proposals. No per-field descriptions:
    the prompt explains the kinds once, and a chat template that renders tools would repeat them."""
    model = create_model(
        TOOL_NAME,
        __config__=ConfigDict(extra="ignore"),
        __doc__="Record the checkable facts the text states.",
        claims=(list[Proposal], Field(max_length=MAX_PROPOSALS)),
    )
    return model


def bounded(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` cut after its last whole sentence within `limit` (all of it when it fits)."""
    if len(text) <= limit:
        return text
    ends = [end for _start, end in sentences(text[:limit])[:-1]]
    return text[: ends[-1]] if ends else text[:limit]


def messages(text: str) -> list[BaseMessage]:
    """Fixed system prompt first, then the one variable part: prefix-stable across answers."""
    system = load_prompt("ledger_claims_system").render()
    user = load_prompt("ledger_claims_user").render(text=bounded(text).strip())
    return [SystemMessage(system), HumanMessage(user)]


async def propose(model: BaseChatModel, text: str, timeout: float | None = 120.0) -> list[Proposal]:
    """The model's proposals for `text`. Raises on any failure (timeout, HTTP error, a reply with
    no readable list): the caller falls back to code-only claims."""
    bound = model.bind_tools([proposals_schema()], tool_choice=TOOL_NAME)
    call = bound.ainvoke(messages(text))
    reply = await (asyncio.wait_for(call, timeout) if timeout else call)
    return parse_proposals(reply)


# -- reading the reply ----------------------------------------------------------------------------
def _objects(text: str) -> list[Any]:
    """Every JSON value that starts with { or [ in free text (models sometimes answer in content)."""
    found: list[Any] = []
    decoder = json.JSONDecoder()
    for m in re.finditer(r"[\[{]", text):
        try:
            value, _ = decoder.raw_decode(text[m.start():])
        except ValueError:
            continue
        found.append(value)
    return found


def _candidates(message: BaseMessage) -> list[Any]:
    out: list[Any] = []
    if isinstance(message, AIMessage):
        out.extend(dict(call.get("args") or {}) for call in message.tool_calls)
        for bad in message.invalid_tool_calls:
            out.extend(_objects(str(bad.get("args") or "")))
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    out.extend(_objects(content))
    return out


def _items(candidate: Any) -> list[Any] | None:
    """The list of claims in one candidate: {"claims": [...]}, a wrapper around it, or a bare list."""
    if isinstance(candidate, list):
        return candidate
    if not isinstance(candidate, dict):
        return None
    if isinstance(candidate.get("claims"), list):
        return list(candidate["claims"])
    for key in ("arguments", "parameters", TOOL_NAME):
        inner = candidate.get(key)
        if isinstance(inner, dict) and isinstance(inner.get("claims"), list):
            return list(inner["claims"])
    return None


def parse_proposals(message: BaseMessage) -> list[Proposal]:
    """The proposals in a reply. An unreadable item is skipped, not fatal: each one is checked on
    its own later anyway. Raises MalformedProposals when no list of claims is found at all."""
    for candidate in _candidates(message):
        items = _items(candidate)
        if items is None:
            continue
        proposals: list[Proposal] = []
        for item in items[:MAX_PROPOSALS]:
            if isinstance(item, dict):  # harmless variations: a re-cased kind, no thing
                kind = item.get("kind")
                item = {"thing": "", **item, "kind": kind.strip().lower() if isinstance(kind, str) else kind}
            try:
                proposals.append(Proposal.model_validate(item))
            except ValidationError:
                continue
        return proposals
    raise MalformedProposals("no list of claims in the reply")
