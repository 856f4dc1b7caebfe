"""Code's half of claim extraction: which of the model's proposals become claims.

The model never decides a number, a date or who did something. A proposal is a pointer:
1. Its quote must be in the text (`locate`: only letter case, spacing, curly quote marks and the
   quote's own surrounding quote marks may differ); otherwise it is dropped (`not_in_text`).
2. The quote is widened to the whole sentences it touches (the sentences code already read): a
   clause cut from its sentence loses what pins it ("by the time I left", "from 40 to 8", "at
   Acme"), and a number without its time is how false accusations start.
3. When code already read a claim of the proposed kind from those sentences, the proposal only
   confirms it (`known`).
4. Otherwise the proposal adds a claim only where it maps onto a field code can check (`added`):
   - ownership: code reads who acted and the verb ("I wrote it", "a contractor built it") and
     finds the act's object is a pronoun; the model may say which thing the pronoun means, and
     that thing must be named, verbatim, in the quoted passage before the pronoun. This is the
     one thing a model does better than sentence-local regexes: resolving "it" across a sentence.
   - team_size: code finds exactly one number in the sentence that counts something (no year,
     duration or unit), the sentence names a team or a lead verb and people, and code itself read
     that number as nothing, or only as a count of people ("nine support agents"); the number
     and its hedging are code's, only "this is the team" is the model's.
   Every other proposal code cannot read is dropped (`unreadable`); those are where code's
   parsers could learn a new phrasing, not facts to take on the model's word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from interviewer.claims import Claim, Owner, Source
from interviewer.ledger.extract import answer_employer
from interviewer.ledger.facts import PRONOUNS, acts, is_team, thing_name
from interviewer.ledger.propose import Proposal, ProposalKind
from interviewer.ledger.quantities import counts
from interviewer.ledger.vocab import ARTICLES, LEAD, PEOPLE, TEAM, employer_of, period_of, singular, topic_words
from interviewer.text import sentences

Outcome = Literal["not_in_text", "known", "added", "unreadable"]


@dataclass(frozen=True)
class Verdict:
    """What became of one proposal, and the claims it added (only for `added`)."""

    proposal: Proposal
    outcome: Outcome
    claims: tuple[Claim, ...] = ()


def answers(kind: ProposalKind, claim: Claim) -> bool:
    """Whether a claim code read is the kind of fact the model proposed."""
    if kind == "team_size":
        return claim.kind == "quantity" and claim.unit == "people"
    if kind == "users":
        return claim.kind == "quantity" and claim.unit == "count"
    if kind == "number":
        return claim.kind == "quantity" or claim.kind == "duration"
    if kind in ("duration", "date"):  # "since 2019" is read as a date, "for five years" as a duration,
        # and "the outage lasted 20 minutes" as a measure in seconds
        return claim.kind in ("duration", "date") or (claim.kind == "quantity" and claim.unit == "s")
    if kind == "title":
        return claim.kind == "role"
    return claim.kind == "ownership"


_MARKS = {"'": "['\u2018\u2019`]", '"': "[\"\u201c\u201d]", "\u2018": "['\u2018\u2019`]", "\u2019": "['\u2018\u2019`]",
          "\u201c": "[\"\u201c\u201d]", "\u201d": "[\"\u201c\u201d]"}


def _word(word: str) -> str:
    return "".join(_MARKS.get(ch, re.escape(ch)) for ch in word)


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where `quote` is in `text` as (start, end), or None. Only letter case, runs of spacing,
    curly versus straight quote marks and the quote's own surrounding quote marks, ellipsis or
    final full stop may differ: a changed word, number or spelling is not the candidate's text."""
    core = quote.strip().strip("\"'\u201c\u201d\u2018\u2019`").strip().rstrip(".\u2026").strip()
    words = core.split()
    if len(core) < 3 or not words:
        return None
    pattern = r"\s+".join(_word(w) for w in words)
    pattern = (r"(?<!\w)" if core[0].isalnum() else "") + pattern + (r"(?!\w)" if core[-1].isalnum() else "")
    m = re.search(pattern, text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def adopt(proposals: list[Proposal], text: str, source: Source, code: list[Claim]) -> list[Verdict]:
    """Check each proposal against `text` and the claims code already read from it (`code`)."""
    spans = sentences(text)
    employer = answer_employer(text)
    verdicts: list[Verdict] = []
    for proposal in proposals:
        where = locate(proposal.quote, text)
        touched = [(s, e) for s, e in spans if where and s < where[1] and where[0] < e]
        if where is None or not touched:
            verdicts.append(Verdict(proposal, "not_in_text"))
            continue
        quotes = {text[s:e] for s, e in touched}
        read = [c for c in code if c.quote in quotes]
        if any(answers(proposal.kind, c) for c in read):
            verdicts.append(Verdict(proposal, "known"))
            continue
        claim = None
        if proposal.kind == "ownership":
            claim = _resolved_ownership(proposal.thing, text, spans, touched, source, employer)
        elif proposal.kind == "team_size" and len(touched) == 1 and all(_people_count(c) for c in read if c.kind == "quantity"):
            claim = _team_size(text[touched[0][0]:touched[0][1]], source, employer)
        verdicts.append(Verdict(proposal, "added", (claim,)) if claim else Verdict(proposal, "unreadable"))
    return verdicts


def _is_pronoun(raw: str) -> bool:
    """ "it", "that", "this", "them" (the act's regex may leave "myself" where the object was)."""
    words = [w for w in raw.lower().split() if w not in ARTICLES and w not in ("personally", "myself")]
    return not words or (len(words) == 1 and words[0] in PRONOUNS)


def _resolved_ownership(thing: str, text: str, spans: list[tuple[int, int]], touched: list[tuple[int, int]],
                        source: Source, employer: str | None) -> Claim | None:
    """An ownership claim when code reads, in the quoted sentences, exactly one who-did-it whose
    object is a pronoun, and the model's thing is named before it: earlier in that sentence or in
    the one before, never as the doer itself. The quote runs from the naming to the act."""
    found: list[tuple[Owner, str, int, int, int]] = []
    for s, e in touched:
        before = spans[spans.index((s, e)) - 1][0] if spans.index((s, e)) > 0 else s
        for act in acts(text[s:e]):
            named = locate(thing, text[before:s + act.at]) if _is_pronoun(act.thing) else None
            if named:
                found.append((act.owner, act.verb, before + named[0], before + named[1], e))
    if len({(owner, verb) for owner, verb, *_ in found}) != 1:
        return None
    owner, verb, start, end, stop = found[0]
    name = thing_name(text[start:end])
    if not name or is_team(name) or _is_pronoun(name):
        return None
    quote = text[max(s for s, _e in spans if s <= start):stop]
    return Claim(kind="ownership", subject=name, value=name, owner=owner, verb=verb, quote=quote, source=source,
                 employer=employer_of(quote) or employer)


def _people_count(claim: Claim) -> bool:
    """ "nine support agents" read as a count of people, whose being a team code could not tell."""
    return claim.unit == "count" and singular(claim.subject.split("/")[0].split(" ")[-1]) in PEOPLE


_TEAM_CUE = re.compile(r"\bof us\b|\bdirect reports?\b|\breport(?:ed|ing)? to me\b", re.I)


def _team_size(sentence: str, source: Source, employer: str | None) -> Claim | None:
    """A team size when the sentence has exactly one counting number and says it counts a team."""
    amounts = counts(sentence)
    words = {singular(w) for w in re.findall(r"[A-Za-z]+", sentence)}
    names_team = bool(words & TEAM) or LEAD.search(sentence) is not None or _TEAM_CUE.search(sentence) is not None
    # "from 4 to 12" is a story of change: code compares only its pinned ends, never a lone number
    if len(amounts) != 1 or not names_team or not words & (PEOPLE | TEAM | {"us"}) or re.search(r"\bfrom\b", sentence, re.I):
        return None
    return Claim(kind="quantity", subject="team", unit="people", amount=amounts[0], period=period_of(sentence),
                 topic=topic_words(sentence), quote=sentence, source=source, employer=employer_of(sentence) or employer)


def merge(code: list[Claim], added: list[Claim]) -> list[Claim]:
    """All of code's claims, untouched, then each added claim that says something new: one that
    differs from a claim already kept only in its quote or topic words is the same fact again."""
    def key(claim: Claim) -> str:
        return claim.model_dump_json(exclude={"quote", "topic"})

    seen = {key(c) for c in code}
    out = list(code)
    for claim in added:
        if key(claim) not in seen:
            seen.add(key(claim))
            out.append(claim)
    return out
