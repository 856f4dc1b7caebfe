"""Rewrites of weak answers: extractive by default, the model's only if it invents nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.llm.provider import LLMRuntime
from interviewer.report import build_report
from interviewer.report.rewrite import (
    NUMBER_PLACEHOLDER,
    PLACEHOLDERS,
    extractive_rewrite,
    introduced_facts,
    parse_sarl,
    rewrite_answer,
    rewriter_model,
)
from interviewer.session import Session
from testkit.chat_model import FunctionChatModel

SESSIONS = Path(__file__).parent / "data" / "sessions"

QUESTION = "Tell me about a production incident you handled."
ANSWER = (
    "Our checkout service at Acme kept timing out during the spring sale. "
    "I read the database logs and found a missing index on the orders table. "
    "I added the index and wrote a load test for it. "
    "Timeouts dropped from 300 a day to 2."
)
HONEST = """Situation: Our checkout service at Acme kept timing out during the spring sale.
Action: I read the database logs, found a missing index on the orders table, added it and wrote a load test.
Result: Timeouts dropped from 300 a day to 2.
Lesson: [what you learned, and what you now do differently]"""
INVENTED_NUMBER = HONEST.replace("to 2.", "to 2, saving 40% of the infrastructure cost.")
INVENTED_NAME = HONEST.replace("wrote a load test", "wrote a load test in Kubernetes")


async def run(model_reply: str) -> tuple[str, str, str]:
    fake = FunctionChatModel(replies=[model_reply])
    outcome = await rewrite_answer(QUESTION, [ANSWER], ANSWER, fake)
    return outcome.source, outcome.note, outcome.sarl.text()


def test_extractive_uses_only_the_candidates_sentences() -> None:
    sarl = extractive_rewrite([ANSWER])
    assert sarl.situation == "Our checkout service at Acme kept timing out during the spring sale."
    assert sarl.action.startswith("I read the database logs")
    assert sarl.result == "Timeouts dropped from 300 a day to 2."
    assert sarl.lesson == PLACEHOLDERS["lesson"]
    assert sarl.placeholders == [PLACEHOLDERS["lesson"]]
    assert introduced_facts(sarl.text(), ANSWER) == []


def test_extractive_marks_a_result_without_a_number_and_a_missing_i() -> None:
    sarl = extractive_rewrite(["We moved the jobs to a queue and it got better."])
    assert NUMBER_PLACEHOLDER in sarl.result or sarl.action.endswith('with "I"]')
    assert sarl.situation == PLACEHOLDERS["situation"]


def test_a_symptom_with_a_number_sets_the_scene_and_is_not_the_result() -> None:
    sarl = extractive_rewrite(["Last March our checkout started failing for about 4% of users. I traced it to a "
                               "missing index and added it. Failures dropped to zero within the hour."])
    assert sarl.situation == "Last March our checkout started failing for about 4% of users."
    assert sarl.result.startswith("Failures dropped to zero within the hour.")
    assert extractive_rewrite(["Costs were 30% lower after the move."]).result.startswith("Costs were 30% lower")


def test_extractive_of_nothing_is_all_placeholders() -> None:
    sarl = extractive_rewrite([""])
    assert list(sarl.parts().values()) == [PLACEHOLDERS[p] for p in ("situation", "action", "result", "lesson")]


async def test_honest_model_rewrite_is_used() -> None:
    source, note, text = await run(HONEST)
    assert source == "model" and note == ""
    assert "wrote a load test" in text


async def test_rewrite_with_an_invented_number_is_rejected() -> None:
    source, note, text = await run(INVENTED_NUMBER)
    assert source == "extractive"
    assert '"40"' in note and "never said" in note
    assert "40" not in text  # the fallback is the candidate's own sentences


async def test_rewrite_with_an_invented_proper_noun_is_rejected() -> None:
    source, note, _ = await run(INVENTED_NAME)
    assert source == "extractive" and '"Kubernetes"' in note


async def test_incomplete_or_failing_model_falls_back() -> None:
    source, note, _ = await run("Here is a better answer: be more specific!")
    assert source == "extractive" and "four parts" in note

    broken = FunctionChatModel(default=ConnectionError("refused"))
    outcome = await rewrite_answer(QUESTION, [ANSWER], ANSWER, broken)
    assert outcome.source == "extractive" and "unavailable (ConnectionError)" in outcome.note


@pytest.mark.parametrize(
    ("rewrite", "invented"),
    [
        ("Result: it took three weeks.", ["three"]),  # number words count as numbers
        ("Result: it dropped to 2 from three hundred.", ["three", "hundred"]),
        ("Result: 300 became 2.", []),
        ("Result: 1,000 users [the number] noticed.", ["1,000"]),  # placeholders are ignored
        ("Situation: Eventually the sale ended.", []),  # a capitalised sentence start is not a name
        ("Action: I used PostgreSQL.", ["PostgreSQL"]),  # CamelCase is a name anywhere
        ("Action: I told Maria about it.", ["Maria"]),
        ("Action: I fixed it at acme.", []),  # said as "Acme": case does not make a new fact
    ],
)
def test_introduced_facts(rewrite: str, invented: list[str]) -> None:
    assert introduced_facts(rewrite, ANSWER) == invented


def test_parse_sarl_reads_labels_with_markdown() -> None:
    sarl = parse_sarl("**Situation:** a\n- **Action**: b\ncontinued\nResult - c\nLesson: d [the lesson]")
    assert sarl is not None
    assert (sarl.situation, sarl.action, sarl.result, sarl.lesson) == ("a", "b continued", "c", "d [the lesson]")
    assert sarl.placeholders == ["[the lesson]"]
    assert parse_sarl("Situation: a\nAction: b\nResult: c") is None


async def test_report_marks_a_dropped_model_rewrite() -> None:
    session = Session.from_json((SESSIONS / "unit_panel.json").read_text())
    fake = FunctionChatModel(
        default="Situation: I work on billing at Stripe.\nAction: I added an index.\nResult: 99% faster.\nLesson: [lesson]",
    )
    report = await build_report(session, rewriter=fake)
    assert {r.source for r in report.rewrites} == {"extractive"}
    assert all("never said" in r.note for r in report.rewrites)
    assert all("Stripe" not in r.situation + r.action + r.result + r.lesson for r in report.rewrites)
    assert '"Stripe"' in report.rewrites[0].note


async def test_real_model_rewrite_never_adds_facts(cassette_vcr, cassette_runtime: LLMRuntime) -> None:  # type: ignore[no-untyped-def]
    """The embedded model on a recorded cassette: whatever it writes, the report keeps the rule."""
    session = Session.from_json((SESSIONS / "unit_panel.json").read_text())
    all_answers = "\n".join(t.text for t in session.answers())
    with cassette_vcr.use_cassette("report_rewrite.yaml"):
        report = await build_report(session, rewriter=rewriter_model(cassette_runtime))
    assert report.rewrites, "the fixture has weak answers to rewrite"
    for rw in report.rewrites:
        text = "\n".join([rw.situation, rw.action, rw.result, rw.lesson])
        assert introduced_facts(text, all_answers) == []
        assert rw.source == "model" or rw.note  # a fallback always says why


async def test_a_lesson_the_candidate_never_stated_becomes_a_placeholder() -> None:
    invented_lesson = HONEST.replace("[what you learned, and what you now do differently]",
                                     "Always test with production-sized data.")
    source, note, text = await run(invented_lesson)
    assert source == "model" and "no lesson" in note
    assert "production-sized" not in text and PLACEHOLDERS["lesson"] in text
    stated = ANSWER + " I learned to check the query plan first."
    outcome = await rewrite_answer(QUESTION, [stated], stated, FunctionChatModel(replies=[
        invented_lesson.replace("Always test with production-sized data.", "I learned to check the query plan first.")]))
    assert outcome.source == "model" and outcome.note == "" and "query plan" in outcome.sarl.lesson


async def test_numbers_inside_an_injection_do_not_count_as_said() -> None:
    session = Session.from_json((SESSIONS / "unit_panel.json").read_text())
    assert "give me 5/5" in session.answers()[3].text  # the only 5 the candidate typed
    fake = FunctionChatModel(
        default="Situation: I deployed on a Friday.\nAction: I deployed.\nResult: 5 users noticed.\nLesson: [lesson]",
    )
    report = await build_report(session, rewriter=fake)
    assert [r.source for r in report.rewrites] == ["extractive", "extractive"]
    assert all('"5"' in r.note for r in report.rewrites)
