"""`interviewer rehearse` end to end with the claim ledger (issue 15): over HTTP against the
loopback fake OpenAI server, scripted to phrase the "which is it?" follow-up like a model would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from interviewer.cli.main import main
from interviewer.session import Session
from testkit import FakeLLMServer
from testkit.fake_protocol import ChatRequest

FOUR = "I'm a backend engineer. At Acme I led a team of four engineers on the payments platform."
FORTY = "The hardest part was keeping the forty engineers I led aligned while we migrated the checkout service."
CORRECTION = "Sorry, I misspoke: it was four engineers on my team; forty was the whole department."
STORY = (
    "Last spring our routing API timed out every morning. I looked at the graphs and saw the connection pool was "
    "exhausted because a report query had no index. I added the index and an alert so it cannot happen again; "
    "p99 went from 4 s to 300 ms, and I learned to check query plans first."
)
CONSISTENT = [
    "I'm a backend engineer at Acme. I led a team of about 40 engineers on the payments platform.",
    "At Acme I led a team of 42 engineers, so keeping everyone aligned was the hardest part.",
    "I joined Acme as a junior developer in 2019.",
    "I'm a senior engineer at Acme now; I was promoted last year.",
    STORY,
]


def phrase(request: ChatRequest) -> str | None:
    """Like a model given the reconcile task: it quotes both numbers; anything else: the default."""
    if "do not agree" in request.last_user_text:
        return "Earlier you told me four engineers, and now forty. Which is it?"
    return None


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLLMServer]:
    with FakeLLMServer(responder=phrase) as server:
        monkeypatch.setenv("INTERVIEWER_BACKEND", "openai-compatible")
        monkeypatch.setenv("INTERVIEWER_BASE_URL", server.url)
        yield server


def rehearse(tmp_path: Path, answers: list[str], *extra: str) -> tuple[Session, str]:
    path = tmp_path / "answers.txt"
    path.write_text("\n\n".join(answers) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["rehearse", "--persona", "dour-cto", "--answers", str(path),
                                       "--out", str(out), "--no-eval", *extra])
    assert result.exit_code == 0, result.output
    session = Session.from_json((out / "transcript.json").read_text(encoding="utf-8"))
    return session, (out / "report.md").read_text(encoding="utf-8")


def test_contradicting_answers_are_probed_and_the_report_names_both_quotes(fake: FakeLLMServer,
                                                                         tmp_path: Path) -> None:
    session, report = rehearse(tmp_path, [FOUR, FORTY, CORRECTION, STORY])
    (finding,) = session.inconsistencies
    probe = next(t for t in session.turns if t.id == finding.probe_turn_id)
    assert probe.probe_kind == "reconcile" and probe.wording == "model"
    assert probe.text == "Earlier you told me four engineers, and now forty. Which is it?"
    assert finding.resolution == "corrected"
    section = report[report.index("## Consistency"):]
    assert "**Answer 2 and answer 1 disagree: 4 earlier, 40 now (team)**" in section
    assert "- Answer 1: \u201cI led a team of four engineers on the payments platform\u201d" in section
    assert "- Answer 2: \u201cThe hardest part was keeping the forty engineers I led aligned\u201d" in section
    assert "- Your reply (answer 3): \u201cSorry, I misspoke" in section
    assert "You corrected it" in section
    assert "answer 3, credit: you corrected it" in report  # the honesty evidence


def test_a_resume_contradiction_is_named_as_the_resume(fake: FakeLLMServer, tmp_path: Path) -> None:
    resume = tmp_path / "resume.txt"
    resume.write_text("Senior backend engineer, Acme (2019-present). Led a team of 4 engineers on payments.\n")
    session, report = rehearse(tmp_path, [FORTY, "It was four.", STORY], "--resume", str(resume))
    (finding,) = session.inconsistencies
    assert finding.contradiction.earlier.source.origin == "resume"
    assert "**Answer 1 and your résumé disagree" in report
    assert "- Your résumé: \u201cLed a team of 4 engineers on payments\u201d" in report


def test_consistent_answers_raise_no_contradiction(fake: FakeLLMServer, tmp_path: Path) -> None:
    session, report = rehearse(tmp_path, CONSISTENT)
    assert session.inconsistencies == [] and len(session.claims) >= 4
    assert not any(t.probe_kind == "reconcile" for t in session.turns)
    assert "## Consistency\n\nNo contradictions noticed among the" in report
