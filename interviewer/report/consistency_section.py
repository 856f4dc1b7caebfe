"""The report's Consistency section: what the claim ledger noticed (interviewer.ledger, wired in by
interviewer.interview.reconcile), read from the session alone.

Each contradiction is shown with both short quotes, where each was said, the "which is it?"
follow-up and the start of the reply. A candidate who corrected or clarified it gets credit in
the honesty evidence too: the evaluator's scores are never changed (the report invents no
number), but saying "I misspoke, it was four" when asked is exactly what honest candidates do.
"""

from __future__ import annotations

from interviewer.interview.reconcile import said_in
from interviewer.report.model import Consistency, ConsistencyItem, Outcome
from interviewer.session import Inconsistency, Session
from interviewer.text import sentence_texts

COMPARED = frozenset({"quantity", "duration", "date", "role", "ownership"})  # kinds the ledger compares
REPLY_WORDS = 25  # the reply is quoted briefly: its first sentences up to about this many words
CREDIT = {"corrected": "you corrected it when asked", "clarified": "you explained how both fit when asked"}


def consistency(session: Session) -> Consistency | None:
    """The section, or None for a session without a claim ledger (recorded before it existed)."""
    if not session.claims and not session.inconsistencies:
        return None
    facts = sum(1 for c in session.claims if c.kind in COMPARED and c.source.origin == "answer")
    return Consistency(facts=facts, items=[_item(session, i) for i in session.inconsistencies])


def where(label: str) -> str:
    return "your résumé" if label == "resume" else label


def _item(session: Session, finding: Inconsistency) -> ConsistencyItem:
    by_id = {t.id: t for t in session.turns}
    numbers = {t.id: n for n, t in enumerate(session.answers(), start=1)}
    probe = by_id.get(finding.probe_turn_id or "")
    reply = by_id.get(finding.reply_turn_id or "")
    outcome: Outcome
    if probe is None:
        outcome = "not asked"
    elif reply is None or finding.resolution is None:
        outcome = "no reply"
    else:
        outcome = finding.resolution
    c = finding.contradiction
    return ConsistencyItem(
        kind=c.kind,
        reason=c.reason,
        new_quote=finding.new_quote,
        new_where=f"answer {finding.answer}",
        earlier_quote=finding.earlier_quote,
        earlier_where=where(said_in(c.earlier, session)),
        question=probe.text if probe else "",
        reply=brief(reply.text) if reply else "",
        reply_answer=numbers.get(reply.id) if reply else None,
        outcome=outcome,
        credit=outcome in CREDIT,
    )


def brief(text: str) -> str:
    """The first sentences of a reply, about REPLY_WORDS words at most; "…" marks a cut."""
    kept: list[str] = []
    for sentence in sentence_texts(text):
        if kept and len(" ".join([*kept, sentence]).split()) > REPLY_WORDS:
            return " ".join(kept) + " …"
        kept.append(sentence)
    words = " ".join(kept).split()
    return " ".join(words[:REPLY_WORDS]) + (" …" if len(words) > REPLY_WORDS else "")


def honesty_notes(section: Consistency | None) -> list[str]:
    """Credit for each contradiction the candidate cleared up when asked."""
    if section is None:
        return []
    return [f"answer {item.reply_answer}, credit: {CREDIT[item.outcome]} about {item.reason}: \u201c{item.reply}\u201d"
            for item in section.items if item.credit and item.reply_answer]
