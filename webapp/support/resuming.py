"""A reopened chat: what to tell the candidate, and what the interview still owes them."""

from __future__ import annotations

from interviewer.session import EvalStatus, Session, Turn


def resume_summary(session: Session) -> str:
    answers = session.answers()
    scored = sum(1 for t in answers if t.evaluation and t.evaluation.status is EvalStatus.OK)
    state = "finished" if session.finished else "in progress"
    return (
        f"Welcome back. This interview is {state}: {len(answers)} answer"
        f"{'s' if len(answers) != 1 else ''} so far, {scored} scored."
    )


def needs_next_question(session: Session) -> bool:
    """After a crash between the candidate's answer and the interviewer's reply, the session ends
    with an answer; the resumed chat must ask the next question instead of waiting in silence."""
    if session.finished or not session.turns:
        return False
    last = next((t for t in reversed(session.turns) if t.role != "system"), None)
    return last is not None and last.role == "candidate"


def unscored_answers(session: Session) -> list[Turn]:
    """Answers whose scoring started but hasn't succeeded (answers in unscored phases, like the
    warm-up, carry no evaluation at all and are not waited for)."""
    return [t for t in session.answers() if t.evaluation is not None and t.evaluation.status is not EvalStatus.OK]
