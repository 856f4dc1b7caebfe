"""The API key never leaves the Authorization header: not in logs, transcripts, notices, session
JSON, the database, reports or committed cassettes.

The flow runs against the fake server with a distinctive key and DEBUG logging on every logger,
including failures (401 that echoes a masked key the way api.openai.com does, 503, a dropped
stream), because error paths are where keys usually leak.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from interviewer.config import Settings
from interviewer.llm.provider import LLMRuntime, Role
from testkit import FakeLLMServer, FaultPlan
from testkit.drive import drive_interview, sample_answer

CANARY = "LEAKCANARY7f3a9c2e"
KEY = f"sk-proj-{CANARY}-0123456789abcdef"
CASSETTES = Path(__file__).resolve().parent / "cassettes"

LEAK_PATTERNS = [
    re.compile(r"(?im)^\s*-?\s*['\"]?(authorization|api-key|x-api-key)['\"]?\s*:"),
    re.compile(r"\bsk-(?!local-no-key-required\b)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._\-]{8,}"),
]


def leaks(text: str) -> list[str]:
    return [m.group(0) for pattern in LEAK_PATTERNS for m in pattern.finditer(text)]


def assert_clean(where: str, text: str) -> None:
    assert KEY not in text and CANARY not in text, f"the API key leaked into {where}"


async def test_key_never_appears_in_any_output(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    from interviewer.interview.engine import InterviewEngine
    from interviewer.evaluation.evaluator import AnswerEvaluator
    from interviewer.interview.personas import PersonaLibrary
    from interviewer.report import build_report, render_html, render_json, render_markdown
    from interviewer.store import SessionStore

    caplog.set_level(logging.DEBUG)  # every logger, including openai/httpx/httpcore debug lines
    with FakeLLMServer() as fake:
        # 401 first (the evaluator's or interviewer's first call), then a mix of failures.
        fake.faults = FaultPlan(schedule=["401", None, "503", "drop", None, "401", "429"], retry_after=0.01)
        settings = Settings(backend="openai-compatible", base_url=fake.url, api_key=KEY, model="m",
                            request_timeout=2, max_retries=1)
        runtime = LLMRuntime(settings).start()
        library = PersonaLibrary.load()
        engine = InterviewEngine(
            runtime.chat_model(Role.INTERVIEWER, streaming=True),
            library,
            AnswerEvaluator(runtime.chat_model(Role.EVALUATOR), timeout=5),
        )
        session = engine.new_session(library.all()[0].id, user_id="secret-test")
        result = await drive_interview(engine, session, [sample_answer(0, n) for n in range(4)])
        await engine.drain(session, timeout=20)
        await engine.retry_unavailable(session)
        report = await build_report(session, rewriter=runtime.chat_model(Role.INTERVIEWER))
        store = SessionStore(f"sqlite:///{tmp_path / 'secrets.db'}")
        try:
            store.save(session)
        finally:
            store.close()

        sent = [r.headers.get("authorization") for r in fake.chat_requests()]
        # The test is only meaningful if the key was really in play.
        assert f"Bearer {KEY}" in sent
        assert any(r.fault == "401" for r in fake.chat_requests())

    assert result.crashes == []
    outputs = {
        "logs": caplog.text + "\n".join(str(r.__dict__) for r in caplog.records),
        "stdout/stderr": "".join(capsys.readouterr()),
        "notices": "\n".join(repr(n) for n in result.notices),
        "session JSON": session.to_json(),
        "report markdown": render_markdown(report),
        "report HTML": render_html(report),
        "report JSON": render_json(report),
        "database file": (tmp_path / "secrets.db").read_bytes().decode("utf-8", "replace"),
        "settings/runtime descriptions": f"{settings!r} {settings.describe()} {runtime.describe()} "
                                          f"{runtime.chat_model(Role.INTERVIEWER)!r}",
    }
    for where, text in outputs.items():
        assert_clean(where, text)
    assert any("401" in n.text or "key" in n.text.lower() for n in result.notices) or any(
        t.evaluation and t.evaluation.error for t in session.answers()
    )  # the 401 surfaced somewhere, and still without the key


def test_committed_cassettes_hold_no_credentials() -> None:
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    found = {str(p.relative_to(CASSETTES)): leaks(p.read_text("utf-8", "replace")) for p in files}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_the_cassette_scanner_catches_what_it_should(tmp_path: Path) -> None:
    leaky = (
        "interactions:\n- request:\n    headers:\n      authorization:\n      - Bearer sk-abcdefghijklmnop\n"
        "    body: '{\"api_key\": \"sk-proj-1234567890\"}'\n"
    )
    assert len(leaks(leaky)) >= 3
    clean = "interactions:\n- request:\n    headers:\n      content-type:\n      - application/json\n" \
            "    body: 'the sketch-pad used sk-local-no-key-required'\n"
    assert leaks(clean) == []
