"""A spoken answer's follow-up is chosen from the reader too: its transcript is known only at mic
off, so the interviewer says its persona's `heard` line at once and waits (boundedly) for the
reader's read of the whole transcript; typed answers and answers already read keep deciding at
once (interview/reading.py, engine.reply)."""

from __future__ import annotations

from interviewer.interview.engine import InterviewEngine
from interviewer.interview.events import NoticeEvent, TokenEvent, TurnEvent
from interviewer.interview.personas import PersonaLibrary
from interviewer.session import TurnKind
from test_engine import VAGUE, at_story_question, collect, scripted
from test_probe_head import Reader, reading

LIBRARY = PersonaLibrary.load()
CTO_HEARD = LIBRARY.get("dour-cto").phrases.heard


def spoken_engine(reader: Reader | None, wait: float = 5.0, **kw: object) -> InterviewEngine:
    return InterviewEngine(scripted(), LIBRARY, kind_reader=reader, spoken_read_wait=wait, **kw)  # type: ignore[arg-type]


def after_answer(events: list[object]) -> list[object]:
    """The events after the candidate's own turn."""
    first = next(i for i, e in enumerate(events) if isinstance(e, TurnEvent) and e.turn.role == "candidate")
    return events[first + 1:]


async def test_a_spoken_answer_is_acknowledged_at_once_and_its_follow_up_comes_from_the_reader() -> None:
    reader = Reader(reading(impact=0.9), delay=0.05)
    eng = spoken_engine(reader)
    session = await at_story_question(eng)
    events = after_answer(await collect(eng.reply(session, VAGUE, spoken=True)))
    first = events[0]
    # Said before anything is read: a listener's "Right.", flagged as a pause for the voice.
    assert isinstance(first, TokenEvent) and first.pause and first.text.strip() in CTO_HEARD
    assert reader.calls[-1][1] == VAGUE  # the whole transcript was read, after the mic stopped
    probe = session.turns[-1]
    assert probe.kind is TurnKind.PROBE and probe.probe_kind == "impact"  # the reader's choice
    assert probe.text.startswith(first.text.strip() + " ")  # the transcript shows what was said
    assert eng.readings.used == 1


async def test_when_the_read_is_too_slow_the_rules_stand_in_after_the_acknowledgement() -> None:
    eng = spoken_engine(Reader(reading(impact=0.9), delay=5.0), wait=0.05)
    session = await at_story_question(eng)
    events = after_answer(await collect(eng.reply(session, VAGUE, spoken=True)))
    assert isinstance(events[0], TokenEvent) and events[0].pause
    # Policy rule L: no "why" (the rules' own choice for a vague outage), only what they see reliably.
    assert session.turns[-1].probe_kind == "example"
    assert eng.readings.used == 0


async def test_typed_answers_and_answers_already_read_are_not_held_up() -> None:
    reader = Reader(reading(impact=0.9), delay=0.05)
    eng = spoken_engine(reader)
    session = await at_story_question(eng)
    typed = after_answer(await collect(eng.reply(session, VAGUE)))
    assert not any(isinstance(e, TokenEvent) and e.pause for e in typed)
    assert session.turns[-1].probe_kind == "example"  # typed, nothing read yet: rule L at once
    # A spoken answer whose last window's reading already covers it decides at once too.
    again = await at_story_question(eng)
    await eng.prewarm(again, VAGUE)
    await eng.readings._flights[again.id].task
    events = after_answer(await collect(eng.reply(again, VAGUE, spoken=True)))
    assert not any(isinstance(e, TokenEvent) and e.pause for e in events)
    assert again.turns[-1].probe_kind == "impact"


async def test_without_a_reader_or_with_the_wait_off_a_spoken_answer_decides_at_once() -> None:
    for eng in (spoken_engine(None), spoken_engine(Reader(reading(impact=0.9)), wait=0.0)):
        session = await at_story_question(eng)
        events = after_answer(await collect(eng.reply(session, VAGUE, spoken=True)))
        assert not any(isinstance(e, TokenEvent) and e.pause for e in events)
        assert not any(session.turns[-1].text.startswith(h) for h in CTO_HEARD)


async def test_the_acknowledgements_take_turns() -> None:
    eng = spoken_engine(Reader(reading(move_on=0.9)))
    session = await at_story_question(eng)
    heard = []
    for _ in range(len(CTO_HEARD)):
        events = after_answer(await collect(eng.reply(session, VAGUE, spoken=True)))
        heard.extend(e.text.strip() for e in events if isinstance(e, TokenEvent) and e.pause)
    assert sorted(heard) == sorted(CTO_HEARD)


async def test_a_model_failure_after_the_acknowledgement_keeps_the_answer_and_asks_again_cleanly() -> None:
    model = scripted()
    eng = InterviewEngine(model, LIBRARY, kind_reader=Reader(reading(impact=0.9)), spoken_read_wait=5.0)
    session = await at_story_question(eng)
    model.queue(RuntimeError("server gone"))
    events = await collect(eng.reply(session, VAGUE, spoken=True))
    assert any(isinstance(e, NoticeEvent) and e.level == "error" for e in events)
    assert session.turns[-1].role == "candidate" and session.turns[-1].text == VAGUE  # nothing lost
    await collect(eng.resume_question(session))
    assert session.turns[-1].role == "interviewer"
