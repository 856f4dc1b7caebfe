"""Claims read by code, plus what a chat model points at and code then verifies: the one entry
point for the app and the benchmark. With no model it is the code-only extractor. Imported from
here, not from `interviewer.ledger`, so the claim data types stay free of the chat-model stack.

A model failure (timeout, HTTP error, a reply with no readable list) never reaches the caller: the
code-only claims are returned and the reason is kept in `LedgerReading.error`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from langchain_core.language_models import BaseChatModel

from interviewer.claims import Claim, Source
from interviewer.ledger.adopt import Verdict, adopt, merge
from interviewer.ledger.extract import extract_claims
from interviewer.ledger.propose import propose


@dataclass(frozen=True)
class LedgerReading:
    """The merged claims, what became of each proposal, and why the model was not used if not."""

    claims: list[Claim]
    verdicts: list[Verdict] = field(default_factory=list)
    error: str | None = None


async def read_with_model(text: str, source: Source, model: BaseChatModel | None,
                          timeout: float | None = 120.0) -> LedgerReading:
    """Code's claims, merged with the proposals of ONE model call that survive `adopt`."""
    code = extract_claims(text, source)
    if model is None or not text.strip():
        return LedgerReading(code)
    try:
        proposals = await propose(model, text, timeout)
        verdicts = adopt(proposals, text, source, code)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # timeout, network, HTTP 4xx/5xx, garbage: the code-only claims stand
        return LedgerReading(code, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    return LedgerReading(merge(code, [c for v in verdicts for c in v.claims]), verdicts)


async def read_claims(text: str, source: Source, model: BaseChatModel | None = None,
                      timeout: float | None = 120.0) -> list[Claim]:
    """The claims of one answer, résumé or job description; code-only when `model` is None.
    Never raises for a model failure (see the module docstring)."""
    return (await read_with_model(text, source, model, timeout)).claims
