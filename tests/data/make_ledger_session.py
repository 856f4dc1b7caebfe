"""Make tests/data/sessions/unit_ledger.json: a scripted interview whose claim ledger found two
contradictions (one with the résumé, cleared up when asked; one between answers, not cleared up).

The interview is played through the real engine with a fake interviewer model, so the ledger,
the `reconcile` follow-ups and the judged replies are what the code produces. The scores are
hand-set (this is a unit fixture, like unit_panel.json); ids and timestamps are fixed so the
golden reports built from it are stable.

    PYTHONPATH=. .venv/bin/python tests/data/make_ledger_session.py
    UPDATE_GOLDEN=1 pytest tests/test_report_golden.py      # then review the diff
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from interviewer.interview.engine import InterviewEngine  # noqa: E402
from interviewer.interview.personas import PersonaLibrary  # noqa: E402
from interviewer.session import CandidateContext, EvalStatus, Evaluation, Session  # noqa: E402
from testkit.chat_model import FunctionChatModel  # noqa: E402

OUT = Path(__file__).resolve().parent / "sessions" / "unit_ledger.json"
RESUME = "Senior backend engineer, Acme (2019-present). Led a team of 4 engineers on payments."
ANSWERS = [
    "I'm a backend engineer at Acme. I joined Acme in 2019 and I have worked on payments ever since.",
    "Right now I run the checkout migration. The hardest part was keeping the forty engineers I led aligned "
    "while we moved the checkout service to the new platform.",
    "Sorry, I misspoke: my own team was four engineers; forty was the whole payments department.",
    "Last spring our checkout API timed out every morning. I looked at the graphs and saw the connection pool "
    "was exhausted because a report query had no index. I added the index and an alert so it cannot happen "
    "again, and p99 went from 4 s to 300 ms.",
    "Honestly I have only been at Acme for two years, so I am still learning the older systems.",
    "I would rather not go into that.",
]
BASE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def normalise(session: Session) -> Session:
    """Fixed ids and timestamps, with every reference to them rewritten."""
    ids = {t.id: f"ledger-turn-{n:02d}" for n, t in enumerate(session.turns)}
    session.id = "unit-ledger-0001"
    session.created_at = session.updated_at = BASE
    for n, turn in enumerate(session.turns):
        turn.id = ids[turn.id]
        turn.created_at = BASE + timedelta(seconds=40 * n)
    session.claims = [c.model_copy(update={"source": c.source.model_copy(update={"session_id": session.id})})
                      for c in session.claims]
    for finding in session.inconsistencies:
        for field in ("answer_turn_id", "probe_turn_id", "reply_turn_id"):
            value = getattr(finding, field)
            if value is not None:
                setattr(finding, field, ids[value])
        c = finding.contradiction
        finding.contradiction = c.model_copy(update={
            "new": c.new.model_copy(update={"source": c.new.source.model_copy(update={"session_id": session.id})}),
            "earlier": c.earlier.model_copy(
                update={"source": c.earlier.source.model_copy(update={"session_id": session.id})}),
        })
    for n, answer in enumerate(session.answers()):
        answer.evaluation = Evaluation(status=EvalStatus.OK, honesty=3 + n % 2, root_cause=2 + n % 3,
                                       storytelling=3, attempts=1)
    return session


async def main() -> None:
    step = itertools.count()
    model = FunctionChatModel(default=lambda _m: f"So, what else happened in step {next(step)}?")
    engine = InterviewEngine(model, PersonaLibrary.load())
    session = engine.new_session("dour-cto", CandidateContext(resume=RESUME), user_id="unit-user")
    session.created_at = BASE  # the ledger dates "two years" against the year the session was held
    async for _ in engine.open(session):
        pass
    for answer in ANSWERS:
        async for _ in engine.reply(session, answer):
            pass
    async for _ in engine.finish(session):
        pass
    OUT.write_text(normalise(session).to_json() + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(session.claims)} claims, {len(session.inconsistencies)} contradictions")


if __name__ == "__main__":
    asyncio.run(main())
