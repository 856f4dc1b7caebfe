"""Model-dependent behaviour on recorded real output of the embedded model (vcrpy cassettes).

Replays by default; `VCR_RECORD=1 pytest tests/test_engine_cassettes.py` re-records against the
live embedded model. What is checked is what the candidate sees: the phrased questions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interviewer.cli.interview import INTERVIEWER_MAX_TOKENS, read_answers
from interviewer.interview.cleanup import LEAK, is_question_sentence, question_part, sentences
from interviewer.interview.engine import InterviewEngine, panel_speakers
from interviewer.interview.events import TurnEvent
from interviewer.interview.moves import REASK_KINDS
from interviewer.interview.personas import PersonaLibrary
from interviewer.interview.plan import load_bank
from interviewer.interview.policy import NEUTRAL, RECONCILE, STEERING_KINDS, TRUSTED_RULE_KINDS, is_repeat
from interviewer.llm.provider import LLMRuntime, Role
from interviewer.session import Session, Turn, TurnKind

DATA = Path(__file__).parent / "data"
LIBRARY = PersonaLibrary.load()
# A follow-up that asks for an example or for more (the two kinds rule L asks of a vague answer).
ASKS_FOR_MORE = re.compile(r"\b(?:example|specific|instance|time when|walk|more|detail|elaborat|expand|tell me|go on)",
                           re.IGNORECASE)
# Vague answers with no cause, to questions that ask for a story about a problem.
VAGUE = (Path(__file__).parent / "data" / "vague_answers.txt").read_text().splitlines()
COMPLETE = [
    "Last spring our routing API timed out every morning at 7am. I looked at the graphs and saw the connection "
    "pool was exhausted because a report query had no index on the delivery date, so it held connections for "
    "minutes. I added the index, moved the report to a replica and set an alert on pool usage so it cannot "
    "starve the API again. p99 went from 4 seconds to 300 ms, and I learned to check query plans first.",
    "Our invoices were sometimes sent twice. I reproduced it locally and found the cause: the retry job and "
    "the webhook both sent the email because the lock expired after 30 seconds. I keyed sends on the invoice "
    "id so a second send is a no-op, and added a regression test. Duplicate invoices went from about 40 a week "
    "to zero, and I learned to make side effects idempotent from day one.",
    "The mobile app crashed on start for 5% of Android users after a release. I read the crash reports and "
    "saw every crash was on Android 9, because a library we upgraded dropped support for it. I pinned the "
    "old version, shipped a fix within two hours, and added Android 9 to our CI device matrix so it can't "
    "happen again. Crash-free sessions went back to 99.8%, and I now read changelogs before upgrading.",
]
PERSONAS = ["dour-cto", "friendly-team", "structured-panel"]
# langchain-openai caches its async HTTP client across models; one event loop for the module
# keeps that client usable from test to test.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def model(cassette_runtime: LLMRuntime):  # type: ignore[no-untyped-def]
    return cassette_runtime.chat_model(Role.INTERVIEWER, max_tokens=INTERVIEWER_MAX_TOKENS, streaming=True)


def at_question(engine: InterviewEngine, persona: str, question_id: str) -> Session:
    """A session positioned at a story question, as if it had just been asked (no model call)."""
    session = engine.new_session(persona)
    item = next(i for i in session.plan if i.id == question_id)
    session.position = session.plan.index(item)
    item.asked = True
    member = LIBRARY.get(persona).member(item.owner) or LIBRARY.get(persona).interviewers[0]
    from interviewer.session import Speaker

    session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text=load_bank().question(item.id).question,
                          speaker=Speaker(name=member.name, role=member.role), question_id=item.id))
    return session


async def next_interviewer_turn(engine: InterviewEngine, session: Session, answer: str) -> Turn:
    turns = [e.turn async for e in engine.reply(session, answer) if isinstance(e, TurnEvent)]
    return turns[-1]


async def test_vague_answers_get_a_follow_up_in_90_percent(model, cassette_vcr) -> None:  # type: ignore[no-untyped-def]
    # Without a reader the rules ask for an example or to say more (policy rule L), never name the
    # cause: their "why" was false for two thirds of the training authors' answers.
    engine = InterviewEngine(model, LIBRARY)
    results = []
    with cassette_vcr.use_cassette("engine_vague_answers.yaml"):
        for i, answer in enumerate(VAGUE):
            persona = PERSONAS[i % len(PERSONAS)]
            question = ("tech_incident", "current_challenge")[i % 2]
            if question not in [item.id for item in engine.new_session(persona).plan]:
                question = "tech_incident"
            session = at_question(engine, persona, question)
            turn = await next_interviewer_turn(engine, session, answer)
            ok = turn.kind is TurnKind.PROBE and bool(ASKS_FOR_MORE.search(turn.text))
            results.append((ok, persona, answer, turn.text, turn.probe_kind))
    hits = sum(ok for ok, *_ in results)
    assert len(results) >= 10
    assert hits / len(results) >= 0.9, results
    for _ok, _persona, _answer, text, _kind in results:
        assert not LEAK.search(text)


async def test_complete_answers_move_on_to_the_next_question(model, cassette_vcr) -> None:  # type: ignore[no-untyped-def]
    engine = InterviewEngine(model, LIBRARY)
    with cassette_vcr.use_cassette("engine_complete_answers.yaml"):
        for persona, answer in zip(PERSONAS, COMPLETE):
            session = at_question(engine, persona, "tech_incident")
            position = session.position
            turn = await next_interviewer_turn(engine, session, answer)
            assert turn.kind in (TurnKind.QUESTION, TurnKind.CLOSING), (persona, turn.text)
            assert session.position > position
            assert turn.question_id != "tech_incident"


CANDIDATES = [("normal", "friendly-team"), ("evasive", "dour-cto"), ("oneword", "structured-panel"),
              ("rambling", "friendly-team"), ("hostile", "structured-panel")]


@pytest.mark.parametrize(("candidate", "persona"), CANDIDATES)
async def test_simulated_candidates(candidate: str, persona: str, model, cassette_vcr) -> None:  # type: ignore[no-untyped-def]
    engine = InterviewEngine(model, LIBRARY)
    answers = read_answers(DATA / f"answers_{candidate}.txt")[:7]
    with cassette_vcr.use_cassette(f"engine_candidate_{candidate}.yaml"):
        session = engine.new_session(persona)
        [e async for e in engine.open(session)]
        for answer in answers:
            [e async for e in engine.reply(session, answer)]
        [e async for e in engine.finish(session)]
    said = [t for t in session.turns if t.role == "interviewer"]
    assert session.finished and said[-1].kind is TurnKind.CLOSING
    # Never repeats itself (a redirect, a refocus or a reply to small talk re-asks on purpose).
    questions = [question_part(t.text) for t in said
                 if t.kind in (TurnKind.QUESTION, TurnKind.PROBE) and t.probe_kind not in REASK_KINDS]
    for i, question in enumerate(questions):
        assert not is_repeat(question, questions[:i]), (question, questions[:i])
    for turn in said:  # stays in role, never leaks instructions or scores
        assert not LEAK.search(turn.text), turn.text
        assert not re.search(r"\bcandidate\s*:", turn.text, re.IGNORECASE), turn.text
        if turn.kind in (TurnKind.QUESTION, TurnKind.PROBE):
            assert any(is_question_sentence(part) for part in sentences(turn.text)), turn.text
    probes = [t for t in said if t.kind is TurnKind.PROBE]
    if candidate == "evasive":  # dug into, and asked for more rather than told what it lacked
        asked = STEERING_KINDS | TRUSTED_RULE_KINDS | {NEUTRAL, RECONCILE}  # rules 1-3, rule L, rule 10
        assert len(probes) >= 2 and all(t.probe_kind in asked for t in probes), [(t.probe_kind, t.text) for t in probes]
    if candidate == "hostile":
        assert any(t.probe_kind == "redirect" for t in probes)
    if candidate in {"oneword", "evasive"}:
        assert probes and all(t.probe_reason for t in probes)
    if persona == "structured-panel" and candidate == "hostile":
        assert len(panel_speakers(session.turns)) >= 2
