"""The claim ledger from the command line: `interviewer ledger show|delete`, and practice/rehearse
starting with the user's earlier claims and adding theirs to the ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from interviewer.cli import ledger as ledger_cli
from interviewer.cli.main import main
from interviewer.claims import Amount, Claim, Source
from interviewer.session import Session, Turn, TurnKind
from interviewer.store import SessionStore
from testkit import FakeLLMServer

DATA = Path(__file__).parent / "data"
SAID = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database every command of this test uses (the app's, in real life)."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", url)
    monkeypatch.setenv("INTERVIEWER_CACHE_DIR", str(tmp_path / "cache"))
    return url


def interview_cli(monkeypatch: pytest.MonkeyPatch, args: list[str], input: str | None = None) -> Result:
    """Run one interview command against a fake model of its own: langchain-openai keeps one async
    HTTP client per base URL per process, bound to the first event loop that used it, so a second
    `asyncio.run` against the same URL would start with a failed call."""
    with FakeLLMServer() as server:
        monkeypatch.setenv("INTERVIEWER_BACKEND", "openai-compatible")
        monkeypatch.setenv("INTERVIEWER_BASE_URL", server.url)
        result = CliRunner().invoke(main, args, input=input)
    assert result.exit_code == 0, result.output
    return result


def earlier_interview(user: str, team: int) -> Session:
    session = Session(user_id=user, created_at=SAID, updated_at=SAID)
    session.add_turn(Turn(role="interviewer", kind=TurnKind.QUESTION, text="Tell me about your team.", created_at=SAID))
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text=f"I led a team of {team}.", created_at=SAID))
    session.claims = [  # résumé first, then the answers: the order they were read in
        Claim(kind="employer", quote="Staff engineer at Acme.", value="Acme", source=Source(origin="resume")),
        Claim(kind="quantity", quote=f"I led a team of {team}.", subject="team", unit="people",
              amount=Amount(value=team, low=team, high=team), source=Source(origin="answer", answer=1)),
    ]
    return session


def seed(url: str, *sessions: Session) -> None:
    with SessionStore(url) as store:
        for session in sessions:
            store.save(session)


def stored(url: str, user: str) -> list[Session]:
    with SessionStore(url) as store:
        return store.list_for_user(user)


def ledger_size(url: str, user: str) -> int:
    with SessionStore(url) as store:
        return len(store.ledger(user))


# -- ledger show / delete ---------------------------------------------------------------------
def test_show_lists_quote_kind_and_where_and_when(database: str) -> None:
    alice = earlier_interview("alice", 12)
    seed(database, alice, earlier_interview("bob", 3))
    result = CliRunner().invoke(main, ["ledger", "show", "--user", "alice"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "2 claims stored for alice, oldest first:"
    assert f"- “I led a team of 12.” (quantity: team 12 people): answer 1, interview {alice.id[:8]}, 2025-03-14" in lines
    assert any("“Staff engineer at Acme.” (employer: Acme): résumé" in line for line in lines)
    assert "team of 3" not in result.output  # bob's ledger is bob's


def test_show_as_json_and_when_empty(database: str) -> None:
    alice = earlier_interview("alice", 12)
    seed(database, alice)
    result = CliRunner().invoke(main, ["ledger", "show", "--user", "alice", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [d["claim"]["quote"] for d in data] == ["Staff engineer at Acme.", "I led a team of 12."]
    assert {d["claim"]["source"]["session_id"] for d in data} == {alice.id}
    assert data[0]["said_at"].startswith("2025-03-14T09:00:00")
    empty = CliRunner().invoke(main, ["ledger", "show"])
    assert empty.exit_code == 0 and empty.output.strip() == "No claims are stored for local."
    assert json.loads(CliRunner().invoke(main, ["ledger", "show", "--json"]).output) == []


def test_delete_refuses_without_yes_when_nobody_can_confirm(database: str) -> None:
    seed(database, earlier_interview("local", 12))
    result = CliRunner().invoke(main, ["ledger", "delete"])  # stdin is not a terminal here
    assert result.exit_code == 2
    assert "standard input is not a terminal" in result.output and "--yes" in result.output
    assert ledger_size(database, "local") == 2


def test_delete_with_yes_keeps_the_interviews(database: str) -> None:
    seed(database, earlier_interview("alice", 12), earlier_interview("bob", 3))
    result = CliRunner().invoke(main, ["ledger", "delete", "--user", "alice", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 claims from alice's ledger" in result.output
    assert ledger_size(database, "alice") == 0 and ledger_size(database, "bob") == 2
    assert [len(s.turns) for s in stored(database, "alice")] == [2]  # the interview is still there


def test_delete_asks_at_a_terminal(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(database, earlier_interview("local", 12))
    monkeypatch.setattr(ledger_cli, "stdin_is_terminal", lambda: True)
    declined = CliRunner().invoke(main, ["ledger", "delete"], input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert ledger_size(database, "local") == 2
    agreed = CliRunner().invoke(main, ["ledger", "delete"], input="y\n")
    assert agreed.exit_code == 0 and "Deleted 2 claims" in agreed.output
    assert ledger_size(database, "local") == 0


def test_a_broken_database_is_one_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", f"sqlite:///{blocker}/sub/x.db")
    result = CliRunner().invoke(main, ["ledger", "show"])
    assert result.exit_code == 1 and "cannot open the session database" in result.output
    assert "Traceback" not in result.output


# -- interviews start with the user's earlier claims ------------------------------------------
def test_practice_starts_with_the_users_earlier_claims_and_keeps_the_new_interview(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(database, earlier_interview("alice", 12), earlier_interview("bob", 3))
    for user in ("alice", "carol"):
        interview_cli(monkeypatch, ["practice", "--no-eval", "--user", user], input="I build routing software.\n/end\n")
    new = [s for s in stored(database, "alice") if s.turns and s.created_at != SAID]
    assert len(new) == 1 and new[0].user_id == "alice"
    assert [c.quote for c in new[0].context.prior_claims] == ["Staff engineer at Acme.", "I led a team of 12."]
    (carols,) = stored(database, "carol")
    assert carols.context.prior_claims == []  # another user starts with nobody's claims


def test_rehearse_uses_the_database_only_for_a_named_user(database: str, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    seed(database, earlier_interview("alice", 12))
    answers = ["rehearse", "--no-eval", "--answers", str(DATA / "answers_normal.txt")]
    interview_cli(monkeypatch, [*answers, "--out", str(tmp_path / "a")])
    plain = Session.from_json((tmp_path / "a" / "transcript.json").read_text())
    assert plain.context.prior_claims == [] and stored(database, "local") == []  # nothing read or written
    interview_cli(monkeypatch, [*answers, "--out", str(tmp_path / "b"), "--user", "alice"])
    rehearsed = Session.from_json((tmp_path / "b" / "transcript.json").read_text())
    assert rehearsed.user_id == "alice" and len(rehearsed.context.prior_claims) == 2
    assert rehearsed.id in {s.id for s in stored(database, "alice")}
