"""The code-only candidate extractor and the quote check. Every claim is read from one sentence of
the project's one splitter (`interviewer.text.sentences`) and keeps that sentence as
its verbatim quote. A model may propose claims too; `verify_quote` drops any whose quote is not in
the text or does not say what the claim says, so a model cannot put words in a candidate's mouth.
"""

from __future__ import annotations

import re
from typing import Any

from interviewer.claims import Claim, Source
from interviewer.ledger.facts import ownership, roles, spans
from interviewer.ledger.numbers import APPROX_RE, parse_number
from interviewer.ledger.quantities import quantities
from interviewer.ledger.timespan import DURATION_RE, parse_date, parse_duration
from interviewer.ledger.vocab import EMPLOYER_RE, NOT_EMPLOYER, TECH_RE, employer_of, period_of, topic_words
from interviewer.text import sentences


def extract_claims(text: str, source: Source) -> list[Claim]:
    """Candidate claims from an answer, a résumé or a job description, in the order said."""
    claims: list[Claim] = []
    employer = answer_employer(text)
    for start, end in sentences(text):
        claims.extend(read_sentence(text[start:end], source, employer))
    return claims


def answer_employer(text: str) -> str | None:
    """The employer an answer is about when it names exactly one: "At Acme ... the team of 4"."""
    names = {employer_of(text[s:e]) for s, e in sentences(text)} - {None, "current", "previous"}
    return next(iter(names)) if len(names) == 1 else None


def read_sentence(quote: str, source: Source, answer_employer: str | None) -> list[Claim]:
    """The claims code reads from one sentence (or a passage a model pointed at); each keeps
    `quote` as its verbatim quote. `answer_employer` is the employer the whole text is about."""
    employer = employer_of(quote) or answer_employer
    period = period_of(quote)
    topic = topic_words(quote)
    base: dict[str, Any] = {"quote": quote, "source": source, "employer": employer}
    claims: list[Claim] = []
    for q in quantities(quote):
        when = "+".join(p for p in (period, q.position) if p) or None
        claims.append(Claim(kind="quantity", subject=q.subject, amount=q.amount, unit=q.unit, period=when,
                            actor="i" if q.actor == "i" else "we" if q.actor == "we" else None, topic=topic, **base))
    for span in spans(quote):
        where = span.employer if span.employer not in (None, "current") else employer or span.employer
        fields: dict[str, Any] = {**base, "employer": where}
        if span.amount is not None:
            claims.append(Claim(kind="duration", subject=span.subject, amount=span.amount, unit="months",
                                ongoing=span.ongoing, period=period if span.subject == "span" else None, topic=topic,
                                **fields))
        else:
            claims.append(Claim(kind="date", subject=span.subject, year=span.year, month=span.month, **fields))
    for tense, title, level in roles(quote):
        claims.append(Claim(kind="role", subject="title", value=title, level=level,
                            period=tense if period is None else f"{tense}+{period}", **base))
    for owner, verb, thing in ownership(quote):
        claims.append(Claim(kind="ownership", subject=thing, value=thing, owner=owner, verb=verb, **base))
    for m in EMPLOYER_RE.finditer(quote):
        name = m.group("name")
        if name.split(" ")[0] not in NOT_EMPLOYER and not name.split(" ")[0].isupper() and not TECH_RE.fullmatch(name):
            claims.append(Claim(kind="employer", subject="employer", value=name, **base))
    for m in TECH_RE.finditer(quote):
        claims.append(Claim(kind="technology", subject="technology", value=m.group(1), **base))
    return claims


def _squash(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"').split())


def verify_quote(claim: Claim, text: str) -> bool:
    """True when the claim's quote is in `text` (only spacing and curly quotes may differ) and the
    quote itself says the claim's value: the number, the duration, the year or the name."""
    quote = _squash(claim.quote)
    if not quote or quote not in _squash(text):
        return False
    if claim.kind == "quantity" and claim.amount is not None:
        values = [parse_number(m.group("number")) for m in APPROX_RE.finditer(quote)]
        raw = [v[0] for v in values if v is not None]
        return any(_same_number(v, claim.amount.value) for v in raw) or any(
            _same_number(q.amount.value, claim.amount.value) for q in quantities(quote))
    if claim.kind == "duration" and claim.amount is not None:
        durations = [parse_duration(m.group(0)) for m in DURATION_RE.finditer(quote)]
        return any(d is not None and abs(d.value - claim.amount.value) < 0.5 for d in durations)
    if claim.kind == "date" and claim.year is not None:
        return str(claim.year) in quote and parse_date(quote) is not None
    if claim.value:
        return _squash(claim.value).lower() in quote.lower() or all(
            w in quote.lower() for w in re.findall(r"\w+", claim.value.lower()))
    return True


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def verified(claims: list[Claim], text: str) -> list[Claim]:
    """The claims (e.g. proposed by a model) whose quotes hold up against `text`."""
    return [c for c in claims if verify_quote(c, text)]
