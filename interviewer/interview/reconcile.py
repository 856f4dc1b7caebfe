"""The claim ledger in the interview (issue 15): facts read from every answer, contradictions
noticed as they happen, a "which is it?" follow-up, and how the candidate answered it.

Everything here is pure code over `interviewer.ledger` (milliseconds per answer), run in the
reply path right after the answer is recorded, so the follow-up can be decided before the next
question. The claims land in `Session.claims` (the ledger the store keeps per user) and each
contradiction once in `Session.inconsistencies`; the report reads both from the session.

Precision first, as in the ledger: the same disagreement is reported once, however often either
side is repeated; one new fact that disagrees with several earlier ones is one finding; and a reply
to the follow-up is the candidate resolving it, never a new finding.

How a reply to "which is it?" is judged (`judge_reply`), in this order:
1. it restates neither value and says it is not sure ("I don't remember") -> unresolved;
2. a correction cue ("I misspoke", "to be precise", "actually", "I meant", "my mistake") ->
   corrected;
3. it states both values again ("four on my team, forty in the department") -> clarified: it
   says how both fit;
4. it states one of the two values again ("It was four.") -> corrected: it says which is right;
5. a cue that both were true at different times or scopes ("it grew", "by the time I left",
   "including contractors") -> clarified;
6. otherwise -> unresolved.
Corrected and clarified both earn the candidate credit in the report: owning a slip is honest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from interviewer.claims import Claim, Contradiction, Source
from interviewer.interview.policy import RECONCILE
from interviewer.ledger import compare, contradictions, extract_claims
from interviewer.ledger.clause import fact_clause, mentions
from interviewer.session import Inconsistency, Resolution, Session, Turn

log = logging.getLogger(__name__)

CORRECTION = re.compile(
    r"\b(?:I|I've|I have)\s+(?:mis-?spoke|misspoken|mixed (?:that|them|it) up|got (?:that|it) wrong|meant)\b|"
    r"\bmy (?:mistake|bad)\b|\bto be (?:precise|exact|accurate|clear)\b|\bactually\b|\bcorrection\b|"
    r"\bI should have said\b|\blet me correct\b|\bthat was wrong\b|\bslip of the tongue\b|\btypo\b",
    re.IGNORECASE,
)
CLARIFY = re.compile(
    r"\b(?:both|grew|grown|growing|at first|at the (?:start|beginning|time|end)|started (?:with|as|at|out)|"
    r"by the time|when I (?:joined|left|started)|including|in total|overall|whole|entire|across|of which|"
    r"over time|promoted|back then|later on|these days|at its peak)\b",
    re.IGNORECASE,
)
UNSURE = re.compile(
    r"\b(?:don't|do not|can't|cannot) (?:remember|recall|know)\b|\bnot (?:sure|certain)\b|\bno idea\b",
    re.IGNORECASE,
)


# -- reading claims --------------------------------------------------------------------------
def read_resume(session: Session) -> list[Claim]:
    """The résumé's claims, read once (they open the ledger); [] when there is no résumé or it
    was read already."""
    resume = session.context.resume
    if not resume.strip() or any(c.source.origin == "resume" for c in session.claims):
        return []
    source = Source(origin="resume", session_id=session.id, year=session.created_at.year)
    claims = extract_claims(resume, source)
    session.claims[:0] = claims
    return claims


def record_safely(session: Session, turn: Turn) -> None:
    """`record_answer` for the engine, before it decides the next move (pure code, milliseconds):
    a ledger bug never costs the turn."""
    try:
        record_answer(session, turn)
    except Exception:  # noqa: BLE001 - the interview goes on without this answer's claims
        log.exception("claim ledger failed on answer %s", turn.id)


def record_answer(session: Session, turn: Turn) -> list[Inconsistency]:
    """Read the answer's claims into the ledger; return the contradictions it reveals (recorded
    in the session too). A reply to a "which is it?" follow-up also settles that follow-up."""
    read_resume(session)
    answers = session.answers()
    number = answers.index(turn) + 1 if turn in answers else len(answers) + 1
    settling = settle(session, turn)
    source = Source(origin="answer", answer=number, session_id=session.id, year=session.created_at.year)
    new = extract_claims(turn.text, source)
    found: list[Inconsistency] = []
    for hit in contradictions(new, _earlier(session)):
        if settling is not None and _same_disagreement(hit, settling.contradiction):
            continue  # "it was four, not forty" restates one side: the resolution, not news
        if any(_same_disagreement(hit, known.contradiction) for known in [*session.inconsistencies, *found]):
            continue
        if any(f.contradiction.new == hit.new for f in found):
            continue  # one new fact against several earlier ones is one finding (the first in _earlier's order)
        found.append(Inconsistency(
            contradiction=hit,
            answer=number,
            answer_turn_id=turn.id,
            new_quote=fact_clause(hit.new).text,
            earlier_quote=fact_clause(hit.earlier).text,
        ))
    session.claims.extend(new)
    session.inconsistencies.extend(found)
    return found


def _earlier(session: Session) -> list[Claim]:
    """What the new answer is compared with, in the order a probe prefers to quote: this
    session's answers ("earlier you said"), the résumé, then earlier sessions."""
    answers = [c for c in session.claims if c.source.origin == "answer"]
    resume = [c for c in session.claims if c.source.origin != "answer"]
    return [*answers, *resume, *session.context.prior_claims]


def _same_disagreement(hit: Contradiction, known: Contradiction) -> bool:
    """`hit` repeats `known` when it is the same pair, or when it shares one claim with it and its
    other claim sides with the other claim of `known` (a third value is news; a repetition is not)."""
    pair, other = (hit.new, hit.earlier), (known.new, known.earlier)
    if {c.quote for c in pair} == {c.quote for c in other}:
        return True
    for shared in pair:
        if shared in other:
            mine = pair[1] if shared == pair[0] else pair[0]
            theirs = other[1] if shared == other[0] else other[0]
            return compare(mine, theirs) is None and compare(theirs, mine) is None
    return False


# -- the follow-up ---------------------------------------------------------------------------
def pending(session: Session) -> Inconsistency | None:
    """The contradiction to ask about now: one revealed by the latest answer, not yet asked, and
    no "which is it?" (asked or skipped as a repeat) since that answer. One per answer: a second
    contradiction in the same answer is reported, not asked (a barrage is an interrogation)."""
    answers = session.answers()
    if not answers:
        return None
    latest = answers[-1]
    since = session.turns[session.turns.index(latest) + 1 :]
    if any(t.probe_kind == RECONCILE for t in since):
        return None
    return next(
        (i for i in session.inconsistencies if i.answer_turn_id == latest.id and i.probe_turn_id is None), None
    )


def where(claim: Claim, session: Session) -> str:
    """Where the earlier claim was said, as the start of the interviewer's sentence."""
    return {"resume": "Your résumé says", "job description": "The job description says",
            "an earlier session": "Last time you said"}.get(said_in(claim, session), "Earlier you said")


def said_in(claim: Claim, session: Session) -> str:
    """Where a claim was said, as the report names it: "answer 3", "resume", "an earlier session"."""
    source = claim.source
    if source.origin == "resume":
        return "resume"
    if source.origin == "job_description":
        return "job description"
    if source.origin == "session" or source.session_id not in (None, session.id):
        return "an earlier session"
    return f"answer {source.answer}" if source.answer else "this interview"


def reason(finding: Inconsistency, session: Session) -> str:
    """The probe reason (the report shows it). No quote in it: it is private text for the model,
    and a quote the model repeats must not look like a leaked instruction."""
    earlier = said_in(finding.contradiction.earlier, session).replace("resume", "the résumé")
    return f"Answer {finding.answer} and {earlier} did not agree: {finding.contradiction.reason}. Asked which is right."


def fill(template: str, finding: Inconsistency, session: Session) -> str:
    """A persona's reconcile template with both short quotes and where the earlier one was said."""
    return (template.replace("{where}", where(finding.contradiction.earlier, session))
            .replace("{earlier}", finding.earlier_quote).replace("{new}", finding.new_quote))


def on_target(finding: Inconsistency) -> Callable[[str], bool]:
    """A phrased follow-up is usable only when it states both values (else the template is)."""
    c = finding.contradiction
    return lambda text: mentions(text, c.new) and mentions(text, c.earlier)


# -- the reply -------------------------------------------------------------------------------
def settle(session: Session, turn: Turn) -> Inconsistency | None:
    """When `turn` answers a "which is it?" follow-up: record the reply and judge it."""
    question = session.question_for(turn) if turn in session.turns else None
    if question is None or question.probe_kind != RECONCILE:
        return None
    finding = next((i for i in session.inconsistencies if i.probe_turn_id == question.id), None)
    if finding is None or finding.reply_turn_id is not None:
        return None
    finding.reply_turn_id = turn.id
    finding.resolution = judge_reply(turn.text, finding.contradiction)
    return finding


def judge_reply(text: str, contradiction: Contradiction) -> Resolution:
    """Corrected, clarified or unresolved (the rule is in the module docstring)."""
    new, earlier = mentions(text, contradiction.new), mentions(text, contradiction.earlier)
    if not (new or earlier) and UNSURE.search(text):
        return "unresolved"
    if CORRECTION.search(text):
        return "corrected"
    if new and earlier:
        return "clarified"
    if new or earlier:
        return "corrected"
    return "clarified" if CLARIFY.search(text) else "unresolved"
