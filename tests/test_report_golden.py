"""Golden reports in every format over fixed sessions.

rec_*.json were recorded by tests/data/make_sessions.py: scripted answers scored by the REAL
evaluator on the embedded model (no hand-written numbers). unit_panel.json is the hand-made unit
fixture (edge cases the recorder cannot produce on demand: unavailable/pending evaluations).
unit_ledger.json (tests/data/make_ledger_session.py) is an interview played through the engine
whose claim ledger found two contradictions: the Consistency section and the honesty credit.

The report is a pure function of its sessions (no clock, no randomness; the PDF's creation date
is the session's), so goldens compare exactly. After an intended change:
    UPDATE_GOLDEN=1 pytest tests/test_report_golden.py
and review the diff of tests/golden/.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from interviewer.report.render import pdf as report_pdf
from interviewer.report import RENDERERS, build_report
from interviewer.session import Session

TESTS = Path(__file__).parent
SESSIONS = TESTS / "data" / "sessions"
GOLDEN = TESTS / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# report name -> (session file, earlier sessions of the same user)
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "rec_friendly": ("rec_friendly.json", ("rec_previous.json",)),
    "rec_panel": ("rec_panel.json", ()),
    "rec_previous": ("rec_previous.json", ()),
    "unit_panel": ("unit_panel.json", ("unit_previous.json",)),
    "unit_ledger": ("unit_ledger.json", ()),
}
SUFFIX = {"md": "md", "html": "html", "json": "json", "pdf": "pdf"}


def load(name: str) -> Session:
    return Session.from_json((SESSIONS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", list(RENDERERS))
@pytest.mark.parametrize("case", list(CASES))
async def test_golden(case: str, fmt: str) -> None:
    session_file, previous = CASES[case]
    # A case whose input is missing fails: it must never silently drop out of the suite.
    for name in (session_file, *previous):
        assert (SESSIONS / name).is_file(), f"golden case {case}: input {SESSIONS / name} is missing"
    report = await build_report(load(session_file), [load(p) for p in previous])
    rendered = RENDERERS[fmt](report)
    data = rendered if isinstance(rendered, bytes) else rendered.encode("utf-8")
    path = GOLDEN / f"{case}.{SUFFIX[fmt]}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(data)
        return
    assert path.is_file(), f"missing golden {path.name}: run UPDATE_GOLDEN=1 pytest {__file__}"
    expected = path.read_bytes()
    if fmt == "pdf":
        if report_pdf.find_font_dir() is None:
            assert data.startswith(b"%PDF")
            pytest.skip("PDF golden was made with the DejaVu TTF (fonts-dejavu-core), absent here")
        assert data == expected, f"{path.name} differs; if intended, UPDATE_GOLDEN=1 and review"
        return
    if data != expected:
        diff = "".join(difflib.unified_diff(
            expected.decode("utf-8").splitlines(keepends=True),
            data.decode("utf-8").splitlines(keepends=True), str(path), "rendered", n=1))
        pytest.fail(f"{path.name} differs from the golden (UPDATE_GOLDEN=1 to accept):\n{diff[:4000]}")


def test_recorded_sessions_come_from_the_evaluator() -> None:
    """rec_* sessions carry what only a real evaluator run leaves: a rationale per dimension and,
    for every scored answer, at least one model attempt (an answer too short to judge needs none)."""
    recorded = [p for p in SESSIONS.glob("rec_*.json")]
    assert recorded, f"no recorded sessions in {SESSIONS} (python tests/data/make_sessions.py)"
    for path in recorded:
        for turn in load(path.name).answers():
            ev = turn.evaluation
            assert ev is not None and ev.status.value == "ok", path.name
            assert set(ev.rationale) == {"honesty", "root_cause", "storytelling"}, path.name
            if any(v is not None for v in ev.scores().values()):
                assert ev.attempts >= 1, f"{path.name}: a score without a model call"


async def test_the_introduction_is_neither_rewritten_as_a_story_nor_named_by_a_story_drill() -> None:
    # "Tell me about yourself" is a career summary: an extractive SARL of it once read
    # "Lesson: I joined Acme in 2019", and every drill pointed at it.
    report = await build_report(load("unit_ledger.json"))
    intro = next(a for a in report.answers if a.phase == "about_you")
    assert report.rewrites and all(rw.number != intro.number for rw in report.rewrites)
    assert report.practice and all(f"answer {intro.number} " not in item.why for item in report.practice)
