"""Which dimensions a question assesses (question_bank.yaml `assesses`, Session.assessed): the
evaluator scores all three, the report, the progress means and the live score step count only
those. Root cause 1 on "tell me about yourself" is not a weakness of the answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from interviewer.interview.personas import load_persona
from interviewer.interview.plan import BankQuestion, build_plan, load_bank
from interviewer.report import build_report, render_markdown, session_means
from interviewer.session import DIMENSIONS, Dimension, EvalStatus, Evaluation, PlanItem, Session, Turn, TurnKind
from webapp.support.formatting import evaluation_markdown, score_step_name

PERSONAS = Path(__file__).resolve().parent.parent / "personas"
H, R, S = Dimension.HONESTY, Dimension.ROOT_CAUSE, Dimension.STORYTELLING


def scored(honesty: int, root_cause: int, storytelling: int) -> Evaluation:
    """An evaluation on all three dimensions, as the evaluator makes it."""
    return Evaluation(status=EvalStatus.OK, honesty=honesty, root_cause=root_cause, storytelling=storytelling,
                      rationale={"honesty": "h", "root_cause": "r", "storytelling": "s"})


def interview() -> Session:
    """Small talk, an introduction (not on root cause) with a follow-up, and a mistake story."""
    session = Session(user_id="u")
    session.plan = [PlanItem(id="icebreaker", phase="opening", topic="t", assesses=[]),
                    PlanItem(id="about_you", phase="about_you", topic="t", assesses=[H, S]),
                    PlanItem(id="mistake", phase="behavioural", topic="t", assesses=[H, R, S])]
    for qid, kind, evaluation in (("icebreaker", TurnKind.QUESTION, None),  # small talk is not sent to be scored
                                  ("about_you", TurnKind.QUESTION, scored(3, 1, 2)),
                                  ("about_you", TurnKind.PROBE, scored(3, 1, 4)),
                                  ("mistake", TurnKind.QUESTION, scored(4, 4, 4))):
        session.add_turn(Turn(role="interviewer", kind=kind, text=f"About {qid}?", question_id=qid))
        session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=f"My answer on {qid}, at some length.",
                              evaluation=evaluation))
    return session


def test_the_plan_carries_what_each_bank_question_assesses() -> None:
    bank = load_bank()
    plan = build_plan(load_persona(PERSONAS / "friendly-team.yaml"), bank, seed=1)
    by_id = {q.id: q for qs in bank.phases.values() for q in qs}
    assert plan and all(item.assesses == by_id[item.id].assesses for item in plan)
    assert R not in by_id["about_you"].assesses and by_id["icebreaker"].assesses == []
    assert by_id["mistake"].assesses == list(DIMENSIONS)  # the default: all three
    with pytest.raises(ValidationError):
        BankQuestion(id="x", topic="t", question="q?", assesses=["charm"])  # type: ignore[list-item]


def test_an_answer_is_judged_on_its_questions_dimensions_and_follow_ups_inherit_them() -> None:
    session = interview()
    answers = session.answers()
    assert [session.assessed(a) for a in answers] == [(), (H, S), (H, S), DIMENSIONS]
    session.plan = [item.model_copy(update={"assesses": None}) for item in session.plan]  # saved before the field
    assert all(session.assessed(a) == DIMENSIONS for a in answers)
    session.plan = []  # a question outside the plan
    assert all(session.assessed(a) == DIMENSIONS for a in answers)


async def test_the_report_counts_only_assessed_dimensions() -> None:
    session = interview()
    report = await build_report(session)
    root = next(d for d in report.dimensions if d.dimension == "root_cause")
    assert root.mean == 4.0 and root.scored == 1 and root.per_answer == [None, None, None, 4]
    honesty = next(d for d in report.dimensions if d.dimension == "honesty")
    assert honesty.mean == round((3 + 3 + 4) / 3, 2)  # small talk counts in nothing
    intro = report.answers[1]
    assert intro.mean == 2.5 and "root_cause" not in intro.rationale and intro.assessed == ["honesty", "storytelling"]
    assert report.answers[0].mean is None and report.answers[0].assessed == []
    assert len(report.scored_answers) == 3
    md = render_markdown(report)
    assert "honesty 3 · root cause not assessed · storytelling 2" in md
    assert "1 of 4 answers were small talk, your own questions or a goodbye" in md
    assert "nothing to judge" not in md and "could not be scored" not in md  # small talk failed nothing
    assert report.answers[0].status == "ok" and "answer 1: honesty not assessed" in md
    assert session_means(session) == {"honesty": 3.33, "root_cause": 4.0, "storytelling": 3.33}


def test_the_live_score_step_shows_only_assessed_dimensions() -> None:
    evaluation = scored(3, 1, 2)
    body = evaluation_markdown(evaluation, (H, S))
    assert "| Root cause | not assessed | |" in body and "**Root cause**" not in body
    assert "| Honesty | 3 |" in body
    assert "Root cause" not in score_step_name(evaluation, 2, (H, S))
    assert score_step_name(evaluation, 1, ()) == "the evaluator on answer 1: not scored (small talk)"
    assert "| Root cause | 1 |" in evaluation_markdown(evaluation)  # the default: all three


def test_the_interviewer_ranks_weak_dimensions_only_where_they_were_assessed() -> None:
    from interviewer.interview.policy import weakest_dimensions

    session = interview()
    answers = [t for t in session.answers() if t.evaluation]
    landed = [t.evaluation for t in answers if t.evaluation]
    assert weakest_dimensions(landed)[0] is R  # root cause 1 on the introduction
    assessed = [e.only(session.assessed(t)) for t, e in zip(answers, landed)]
    assert weakest_dimensions(assessed)[0] is not R and weakest_dimensions(assessed)[-1] is R
    assert landed[0].root_cause == 1 and assessed[0].root_cause is None and assessed[0].honesty == 3
