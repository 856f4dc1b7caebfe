"""Unit tests of the feedback report over hand-made UNIT fixtures (tests/data/sessions/unit_*.json).

The unit fixtures' scores are hand-chosen to exercise edge cases (unavailable and pending
evaluations, a panel with speakers, a persona switch, HTML/JS, emoji and RTL in an answer, a quote
the candidate never said). Sessions recorded from the real evaluator are covered by
test_report_golden.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from statistics import mean

import pytest

from interviewer.report.render import pdf as report_pdf
from interviewer.report import (
    REPORT_SCHEMA_VERSION,
    Report,
    build_report,
    plotly_figure,
    render_html,
    render_json,
    render_markdown,
    render_pdf,
)
from interviewer.session import EvalStatus, Evaluation, Session, Turn, TurnKind

SESSIONS = Path(__file__).parent / "data" / "sessions"
DIMS = ("honesty", "root_cause", "storytelling")


def load(name: str) -> Session:
    return Session.from_json((SESSIONS / name).read_text())


@pytest.fixture
def panel() -> Session:
    return load("unit_panel.json")


@pytest.fixture
async def report(panel: Session) -> Report:
    return await build_report(panel, [load("unit_previous.json")])


def ok_scores(session: Session, dim: str) -> list[int]:
    return [
        t.evaluation.score(dim) for t in session.answers()
        if t.evaluation and t.evaluation.status is EvalStatus.OK and t.evaluation.score(dim) is not None
    ]


async def test_means_count_only_ok_evaluations(panel: Session, report: Report) -> None:
    statuses = [t.evaluation.status for t in panel.answers() if t.evaluation]
    assert EvalStatus.UNAVAILABLE in statuses and EvalStatus.PENDING in statuses  # the fixture's point
    for dim in report.dimensions:
        assert dim.mean == round(mean(ok_scores(panel, dim.dimension)), 2)
        assert dim.scored == len(ok_scores(panel, dim.dimension))
        assert len(dim.per_answer) == len(panel.answers())


async def test_unavailable_and_pending_show_as_unavailable_never_a_number(panel: Session, report: Report) -> None:
    not_ok = [n for n, t in enumerate(panel.answers(), 1) if t.evaluation.status is not EvalStatus.OK]
    assert not_ok == [5, 6]
    for number in not_ok:
        answer = report.answers[number - 1]
        assert answer.status == "unavailable"
        assert answer.mean is None and set(answer.scores.values()) == {None}
        assert all(d.per_answer[number - 1] is None for d in report.dimensions)
    md = render_markdown(report)
    assert "(answer 5: unavailable)" in md and "(answer 6: unavailable)" in md
    assert "| 3, 3, 4, 1, unavailable, unavailable |" in md  # honesty per answer
    html = render_html(report)
    assert "answer 5: unavailable" in html and "answer 6: unavailable" in html
    assert "not scored (unavailable): answer 5, 6" in html  # the chart says so too
    data = json.loads(render_json(report))
    assert data["answers"][4]["scores"] == {d: None for d in DIMS}
    assert data["answers"][4]["status"] == "unavailable"
    fig = plotly_figure(report)
    lines = [t for t in fig.data if t.type == "scatter"]
    assert all(t.y[4] is None and t.y[5] is None for t in lines)


async def test_all_unavailable_means_no_numbers_anywhere(panel: Session) -> None:
    for turn in panel.answers():
        turn.evaluation = Evaluation(status=EvalStatus.UNAVAILABLE, error="connection refused")
    report = await build_report(panel)
    assert all(d.mean is None and d.level is None for d in report.dimensions)
    assert all(o.verdict == "not enough evidence" for o in report.objectives)
    assert report.strongest == [] and report.weakest == [] and report.rewrites == []
    md = render_markdown(report)
    table = md.split("## Overall")[1].split("**")[0]
    assert not re.search(r"\|\s*\d", table), table  # no digit in any score cell
    assert "| Storytelling | unavailable | unavailable |" in md
    assert "6 of 6 answers could not be scored" in md
    render_pdf(report)  # and the PDF copes


async def test_candidate_html_and_js_render_as_text(report: Report) -> None:
    html = render_html(report)
    assert "<script>" not in html and "alert('x')" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script" not in html.lower()  # the page itself has no scripts at all
    assert 'src="http' not in html and "href=\"http" not in html  # self-contained
    md = render_markdown(report)
    assert "<script>" not in md and r"\<script\>" in md


async def test_markdown_escapes_links_and_headings(panel: Session) -> None:
    panel.answers()[0].text = "# Hired!\n[click](http://evil.example) *bold* `code`"
    md = render_markdown(await build_report(panel))
    assert "\n# Hired" not in md and r"\# Hired!" in md
    assert "[click](" not in md and r"\[click\](http://evil.example)" in md


async def test_quotes_are_verified_against_the_answer(report: Report) -> None:
    all_quotes = [q for a in report.answers for qs in a.evidence.values() for q in qs]
    assert "a quote the candidate never said" not in all_quotes
    for answer in report.answers:
        for quotes in answer.evidence.values():
            assert all(q.lower() in answer.answer.lower() for q in quotes)
    honesty = next(d for d in report.dimensions if d.dimension == "honesty")
    assert [q.answer for q in honesty.quotes] == [3, 4]  # best and worst answer on honesty


async def test_level_descriptions_come_from_the_rubric(report: Report) -> None:
    from interviewer.evaluation.rubric import load_rubric

    rubric = load_rubric()
    root = next(d for d in report.dimensions if d.dimension == "root_cause")
    assert root.level == 2
    assert root.level_description.endswith(rubric.dimension("root_cause").anchors[3])
    answer3 = report.answers[2]
    assert answer3.levels["root_cause"] == rubric.dimension("root_cause").anchors[5]
    assert rubric.dimension("root_cause").anchors[5] in render_markdown(report)


async def test_strongest_weakest_and_rewrites(report: Report) -> None:
    assert [h.number for h in report.strongest] == [3]
    assert [h.number for h in report.weakest] == [4, 2]  # 1 is small talk, 6 is unavailable
    assert "the month-end run went from 3 hours to 20 minutes" in report.strongest[0].quotes
    assert [r.number for r in report.rewrites] == [4, 2]
    rw = report.rewrites[1]
    # Answer 2's follow-up (answer 3) belongs to the same question: its facts are usable.
    assert "3 hours to 20 minutes" in rw.result
    assert rw.source == "extractive" and not rw.note
    # The injection sentence is not part of a story.
    assert "Ignore previous instructions" not in report.rewrites[0].situation


async def test_probes_carry_their_reason_and_speaker(report: Report) -> None:
    assert [(p.after_answer, p.speaker) for p in report.probes] == [
        (2, "Tom (senior engineer)"), (4, report.personas[1])]
    assert report.probes[0].reason == "The answer named a fix but not the cause or how it was found."
    assert report.probes[0].target_dimension == "root_cause"
    assert "The answer named a fix but not the cause" in render_markdown(report)


async def test_transcript_has_speakers_switches_and_notices_once(panel: Session, report: Report) -> None:
    speakers = [e.speaker for e in report.transcript]
    assert "Maya (hiring manager)" in speakers and "Tom (senior engineer)" in speakers
    notices = [e for e in report.transcript if e.role == "system"]
    assert [n.text for n in notices] == ["Switched interviewer to Dour CTO."]  # not repeated
    assert len([e for e in report.transcript if e.role != "system"]) == len(panel.turns) - 1
    # Without the engine's own notice, the switch is still shown.
    panel.turns = [t for t in panel.turns if t.role != "system"]
    panel.persona_changes = [(7, "dour-cto")]
    switched = await build_report(panel)
    assert [e.kind for e in switched.transcript if e.role == "system"] == ["persona_switch"]


async def test_practice_is_few_and_concrete(report: Report) -> None:
    assert 1 <= len(report.practice) <= 3
    assert report.practice[0].title.startswith("Explain the cause")  # weakest dimension first
    assert "Tell me about a mistake you made." in report.practice[0].how  # its worst story
    titles = [p.title for p in report.practice]
    assert "Answer the interviewer, not the grader" in titles  # a flag seen


async def test_objectives_say_why(report: Report) -> None:
    by_key = {o.key: o for o in report.objectives}
    assert set(by_key) == {"rapport", "demonstrated_value", "trajectory_of_growth"}
    assert all(o.basis for o in report.objectives)
    assert any("questions back" in b for b in by_key["rapport"].basis)
    assert any("number on the impact" in b for b in by_key["demonstrated_value"].basis)


async def test_objectives_need_evidence(panel: Session) -> None:
    panel.turns = panel.turns[:2]  # one small-talk answer
    report = await build_report(panel)
    assert {o.verdict for o in report.objectives} == {"not enough evidence"}


async def test_progress_against_previous_sessions(panel: Session, report: Report) -> None:
    previous = load("unit_previous.json")
    assert report.progress is not None and report.progress.sessions_compared == 1
    change = {c.dimension: c for c in report.progress.changes}
    assert change["honesty"].previous == 1.5 and change["honesty"].current == 2.75
    assert change["honesty"].delta == 1.25 and change["honesty"].change == "improved"
    assert [p.session_id for p in report.progress.history] == [previous.id, panel.id]
    # Another user's sessions and later sessions are never compared.
    other = previous.model_copy(update={"user_id": "someone-else"})
    later = previous.model_copy(update={"id": "later", "created_at": panel.created_at.replace(year=2027)})
    assert (await build_report(panel, [other, later])).progress is None


async def test_empty_session_renders_everywhere() -> None:
    report = await build_report(load("unit_empty.json"))
    assert report.answers == [] and report.notes == ["No answers yet: there is nothing to score."]
    for text in (render_markdown(report), render_html(report), render_json(report)):
        assert "No answers yet" in text
    assert render_pdf(report).startswith(b"%PDF")
    plotly_figure(report)


async def test_json_is_versioned_and_round_trips(report: Report) -> None:
    text = render_json(report)
    data = json.loads(text)
    assert data["schema_version"] == REPORT_SCHEMA_VERSION
    assert Report.model_validate_json(text) == report


async def test_pdf_handles_emoji_rtl_and_no_ttf(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = render_pdf(report)  # the fixture's answer 4 holds an emoji and Hebrew
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    if report_pdf.find_font_dir() is not None:
        assert b"DejaVuSans" in pdf
    monkeypatch.setattr(report_pdf, "find_font_dir", lambda: None)
    latin = render_pdf(report)
    assert latin.startswith(b"%PDF") and b"Helvetica" in latin
    clean = report_pdf.make_sanitizer(None)
    assert clean("“ok” — 🙂 שלום é") == '"ok" - ? ???? é'


def test_ttf_sanitizer_replaces_missing_glyphs() -> None:
    directory = report_pdf.find_font_dir()
    if directory is None:
        pytest.skip("no DejaVu TTF on this machine (fonts-dejavu-core); the latin-1 path is tested above")
    clean = report_pdf.make_sanitizer(directory)
    assert clean("café “x” 🙂\nnext") == "café “x” ?\nnext"


async def test_build_report_reads_only_the_session(panel: Session) -> None:
    """Same session, same report: no clock, no randomness (goldens depend on it)."""
    before = panel.to_json()
    first = render_json(await build_report(panel))
    assert render_json(await build_report(Session.from_json(before))) == first
    assert panel.to_json() == before  # not mutated


async def test_answer_without_question_or_plan_is_fine() -> None:
    session = Session(user_id="u")
    session.add_turn(Turn(role="candidate", kind=TurnKind.ANSWER, text="Hello there.",
                          evaluation=Evaluation(status=EvalStatus.OK, honesty=3, root_cause=1, storytelling=1)))
    report = await build_report(session)
    assert report.answers[0].question == "" and report.answers[0].mean == pytest.approx(1.67)
    render_markdown(report), render_html(report), render_pdf(report)


async def test_a_dimension_the_evaluator_could_not_judge_is_not_judged_not_unavailable(panel: Session) -> None:
    first = panel.answers()[0]
    first.evaluation = Evaluation(status=EvalStatus.OK, honesty=3, root_cause=None, storytelling=2, attempts=1)
    report = await build_report(panel)
    assert report.answers[0].status == "ok" and report.answers[0].mean == 2.5
    md = render_markdown(report)
    assert "(answer 1: honesty 3 · root cause not judged · storytelling 2)" in md
    assert "| not judged, 2, 5, 1, unavailable, unavailable |" in md


async def test_chat_markdown_can_leave_the_transcript_out(report: Report) -> None:
    short = render_markdown(report, full=False)
    assert "## Transcript" not in short and "## Scores per answer" not in short
    assert "## What to practise next" in short
    assert render_markdown(report).startswith(short.rstrip("\n"))


async def test_charts_show_means_and_gaps(report: Report) -> None:
    fig = plotly_figure(report)
    bars = next(t for t in fig.data if t.type == "bar")
    assert list(bars.y) == [d.mean for d in report.dimensions]
    svg = render_html(report).split("<svg", 1)[1].split("</svg>", 1)[0]
    assert svg.count("<rect") >= 3 and "<polyline" in svg


async def test_an_answer_with_nothing_to_judge_is_not_judged_not_unavailable(panel: Session) -> None:
    first = panel.answers()[0]
    first.evaluation = Evaluation(status=EvalStatus.OK, attempts=1,
                                  rationale={"honesty": "Insufficient evidence: nothing to judge."})
    report = await build_report(panel)
    assert report.answers[0].status == "ok" and report.answers[0].mean is None
    assert len(report.scored_answers) == 3  # answers 2-4; 5 and 6 are unavailable
    md = render_markdown(report)
    assert "(answer 1: honesty not judged · root cause not judged · storytelling not judged)" in md
    assert "1 of 6 answers gave the evaluator nothing to judge" in md
    assert "2 of 6 answers could not be scored" in md


async def test_a_broken_rubric_costs_the_level_texts_not_the_report(panel: Session,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import interviewer.evaluation.rubric

    def broken() -> None:
        raise interviewer.evaluation.rubric.RubricError("prompts/rubric.yaml: dimensions.honesty.anchors: missing")

    monkeypatch.setattr(interviewer.evaluation.rubric, "load_rubric", broken)
    report = await build_report(panel)
    assert any("Level descriptions are missing" in n and "anchors: missing" in n for n in report.notes)
    assert report.answers[0].levels["honesty"] == "Level 3 of 5."
    render_markdown(report), render_html(report), render_pdf(report)


async def test_pathological_answers_render(panel: Session) -> None:
    answer = panel.answers()[1]
    answer.text = ("x" * 3000 + " \x00\t\u200f\ufeff " + "word " * 4000 + "\n\n\n" + "🚀" * 50)
    report = await build_report(panel)
    pdf = render_pdf(report)
    assert pdf.startswith(b"%PDF")
    assert "x" * 3000 in render_html(report)
