"""The report's Consistency section: both quotes, where each was said, the reply and the credit."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.ledger import Source, contradictions, extract_claims
from interviewer.report import build_report, render_html, render_json, render_markdown
from interviewer.report.consistency_section import REPLY_WORDS, brief, consistency
from interviewer.session import Inconsistency, Session, Turn, TurnKind

SESSIONS = Path(__file__).parent / "data" / "sessions"


def load(name: str) -> Session:
    return Session.from_json((SESSIONS / name).read_text(encoding="utf-8"))


def with_answers(*texts: str) -> Session:
    session = Session(id="s1")
    for text in texts:
        session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text="Tell me more?"))
        session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=text))
    return session


async def test_the_section_names_both_quotes_where_they_were_said_and_the_reply() -> None:
    report = await build_report(load("unit_ledger.json"))
    assert report.consistency is not None
    resume, dates = report.consistency.items
    assert (resume.earlier_where, resume.new_where) == ("your résumé", "answer 2")
    assert resume.earlier_quote == "Led a team of 4 engineers on payments"
    assert resume.new_quote == "The hardest part was keeping the forty engineers I led aligned"
    assert resume.reply.startswith("Sorry, I misspoke") and resume.reply_answer == 3
    assert (resume.outcome, resume.credit) == ("corrected", True)
    assert (dates.earlier_where, dates.new_where, dates.outcome, dates.credit) == ("answer 1", "answer 5", "unresolved", False)
    markdown = render_markdown(report)
    assert "## Consistency" in markdown
    assert "- Your résumé: \u201cLed a team of 4 engineers on payments\u201d" in markdown
    assert "**Answer 5 and answer 1 disagree: 2019 earlier, 2 years now**" in markdown
    assert "Consistency" in render_html(report) and '"outcome": "corrected"' in render_json(report)


async def test_clearing_it_up_earns_a_credit_note_in_the_honesty_evidence_not_a_score() -> None:
    session = load("unit_ledger.json")
    report = await build_report(session)
    honesty = next(d for d in report.dimensions if d.dimension == "honesty")
    (note,) = honesty.notes
    assert note.startswith("answer 3, credit: you corrected it") and "Sorry, I misspoke" in note
    assert all(not d.notes for d in report.dimensions if d.dimension != "honesty")
    session.inconsistencies[0].resolution = "unresolved"  # the same interview without the correction
    plain = await build_report(session)
    assert not next(d for d in plain.dimensions if d.dimension == "honesty").notes
    assert [d.mean for d in plain.dimensions] == [d.mean for d in report.dimensions]


async def test_sessions_without_a_ledger_have_no_section() -> None:
    report = await build_report(load("unit_panel.json"))
    assert report.consistency is None and "Consistency" not in render_markdown(report)


async def test_a_ledger_without_contradictions_says_so() -> None:
    session = with_answers("I led a team of four engineers.", "I joined Acme in 2019.")
    session.claims = extract_claims(session.answers()[0].text, Source(origin="answer", answer=1)) + extract_claims(
        session.answers()[1].text, Source(origin="answer", answer=2))
    report = await build_report(session)
    assert report.consistency is not None and report.consistency.facts == 2
    line = "No contradictions noticed among the 2 facts you stated"
    assert line in render_markdown(report) and line in render_html(report)


@pytest.mark.parametrize(("probed", "replied", "outcome"), [(False, False, "not asked"), (True, False, "no reply")])
def test_not_asked_and_no_reply(probed: bool, replied: bool, outcome: str) -> None:
    session = with_answers("I led a team of four engineers.", "The forty engineers I led <b>shipped</b> it.")
    four = extract_claims(session.answers()[0].text, Source(origin="answer", answer=1))
    forty = extract_claims(session.answers()[1].text, Source(origin="answer", answer=2))
    (hit,) = contradictions(forty, four)
    probe = session.add_turn(Turn(role="interviewer", kind=TurnKind.PROBE, text="Which is it?", probe_kind="reconcile"))
    session.claims = four + forty
    session.inconsistencies = [Inconsistency(contradiction=hit, answer=2, answer_turn_id=session.answers()[1].id,
                                             new_quote="The forty engineers I led <b>shipped</b> it",
                                             earlier_quote="I led a team of four engineers",
                                             probe_turn_id=probe.id if probed else None)]
    section = consistency(session)
    assert section is not None
    (item,) = section.items
    assert item.outcome == outcome and not item.credit and item.reply == ""
    assert (item.question == "Which is it?") is probed


async def test_candidate_words_are_escaped_in_every_format() -> None:
    session = load("unit_ledger.json")
    session.inconsistencies[0].new_quote = "the <script>alert(1)</script> forty engineers"
    report = await build_report(session)
    assert "<script>" not in render_html(report) and "&lt;script&gt;" in render_html(report)
    assert "\\<script\\>" in render_markdown(report)


def test_the_reply_is_quoted_briefly() -> None:
    assert brief("It was four. Forty was the department.") == "It was four. Forty was the department."
    long = "It was four. " + " ".join(["word"] * 40) + "."
    assert brief(long) == "It was four. \u2026"
    run_on = " ".join(["word"] * 40)
    assert brief(run_on).endswith("\u2026") and len(brief(run_on).split()) == REPLY_WORDS + 1
