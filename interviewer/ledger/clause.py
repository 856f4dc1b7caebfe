"""The fact in a claim's quote, and the clause around it: what a probe and the report quote.

A claim keeps its whole sentence as its quote, which is right for checking it but too long to
read back to a candidate ("Earlier you said <thirty words>"). The clause with the fact ("I led a
team of four engineers") is what a person would quote. It stays a verbatim piece of the sentence,
so it can always be found in what the candidate said.

`mentions` answers the narrower question the interview asks of a reply to "which is it?": does
this text state the claim's value again ("four", "4", "2019", "seven years", the title)?
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.claims import Claim
from interviewer.ledger.numbers import APPROX_RE, parse_number
from interviewer.ledger.timespan import DATE_RE, DURATION_RE, YEAR, parse_duration

MAX_WORDS = 12  # a longer clause is cut to a window around the fact
MIN_WORDS = 4  # a shorter clause borrows the clause before it ("since 2019" alone says too little)
# Where one clause ends and the next begins: punctuation, or a conjunction that starts a new one.
BOUNDARY = re.compile(
    r"\s*[,;:()\u2013\u2014]\s*|\s+-\s+|\s+(?=(?:while|whereas|because|although|though|but|so that|which|"
    r"who|where|when|until|after|before|and then|and we|and I|and they|and that)\b)",
    re.IGNORECASE,
)
_LEADING = re.compile(
    r"^(?:(?:and|but|so|then|which|while|because|although|though|where|who)\s+|"
    r"(?:honestly|frankly|well|basically|actually|yeah|um|uh),?\s+)+",
    re.IGNORECASE,
)
_TRAILING = re.compile(r"\s+(?:and|but|so|or|the|a|an|of|to|in|on|at|with|for|from|by|as|about|my|our)$", re.IGNORECASE)
# A window cut inside a clause starts at its subject when it can ("I led a team of four", not
# "job I led a team of four").
_SUBJECT = {"i", "we", "my", "our", "the", "they", "he", "she"}


@dataclass(frozen=True)
class Clause:
    """`text`: the clause (verbatim from the quote); `fact`: the words that state the value."""

    text: str
    fact: str


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)


def fact_span(claim: Claim) -> tuple[int, int] | None:
    """Where in `claim.quote` the claim's value is written, or None when it cannot be found."""
    quote = claim.quote
    if claim.kind == "quantity" and claim.amount is not None:
        numbers = [m for m in APPROX_RE.finditer(quote) if parse_number(m.group("number"))]
        for m in numbers:
            parsed = parse_number(m.group("number"))
            if parsed and _close(parsed[0], claim.amount.value):
                return m.span("number")
        return numbers[0].span("number") if numbers else None  # a unit conversion (3 TB as GB)
    if claim.kind == "duration" and claim.amount is not None:
        for m in DURATION_RE.finditer(quote):
            duration = parse_duration(m.group(0))
            if duration is not None and abs(duration.value - claim.amount.value) < 0.5:
                return m.span()
        date = DATE_RE.search(quote)  # "since 2021": the duration was read from a date
        return date.span() if date else None
    if claim.kind == "date" and claim.year is not None:
        for m in DATE_RE.finditer(quote):
            if str(claim.year) in m.group(0):
                return m.span()
        return None
    if claim.value:
        named = re.search(re.escape(claim.value), quote, re.IGNORECASE)
        return named.span() if named else None
    return None


def _words(text: str) -> int:
    return len(text.split())


def fact_clause(claim: Claim) -> Clause:
    """The clause of the quote that holds the fact, at most about MAX_WORDS words, verbatim."""
    quote = claim.quote.strip()
    span = fact_span(claim)
    if span is None:
        text = " ".join(quote.split()[:MAX_WORDS])
        return Clause(text.rstrip(" .,;:!?"), "")
    start, end = span
    cuts = [(m.start(), m.end()) for m in BOUNDARY.finditer(quote)]
    before = [c for c in cuts if c[1] <= start]
    after = [c for c in cuts if c[0] >= end]
    left = before[-1][1] if before else 0
    right = after[0][0] if after else len(quote)
    if _words(quote[left:right]) < MIN_WORDS and len(before) > 0:
        left = before[-2][1] if len(before) > 1 else 0
    text = quote[left:right]
    if _words(text) > MAX_WORDS:  # a window of words around the fact
        head = quote[left:start].split()
        tail = quote[end:right].split()
        keep_head = head[-(MAX_WORDS // 2):] if head else []
        subject = next((i for i, w in enumerate(keep_head) if w.lower() in _SUBJECT), 0)
        keep_head = keep_head[subject:]
        keep_tail = tail[: max(MAX_WORDS - len(keep_head) - _words(quote[start:end]), 2)]
        first = quote.index(keep_head[0], left) if keep_head else start
        last = end
        for word in keep_tail:
            last = quote.index(word, last) + len(word)
        text = quote[first:last]
    text = _LEADING.sub("", text.strip()).rstrip(" .,;:!?")
    while _TRAILING.search(text) and len(text.split()) > MIN_WORDS:
        text = _TRAILING.sub("", text)
    return Clause(text, quote[start:end])


def mentions(text: str, claim: Claim) -> bool:
    """Whether `text` states this claim's value: the same number (any spelling), year, duration
    or name. Rounding does not count here: "about forty" restates 40, "42" does not."""
    if claim.kind == "quantity" and claim.amount is not None:
        value = claim.amount.value
        return any((p := parse_number(m.group("number"))) and _close(p[0], value) for m in APPROX_RE.finditer(text))
    if claim.kind == "duration" and claim.amount is not None:
        months = claim.amount.value
        if any((d := parse_duration(m.group(0))) and abs(d.value - months) < 0.5 for m in DURATION_RE.finditer(text)):
            return True
        clause = fact_clause(claim)
        return bool(clause.fact) and re.search(YEAR, clause.fact) is not None and clause.fact.lower() in text.lower()
    if claim.kind == "date" and claim.year is not None:
        return re.search(rf"\b{claim.year}\b", text) is not None
    if claim.value:
        return claim.value.lower() in text.lower()
    return False
