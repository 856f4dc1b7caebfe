"""Post-processing of the model's line: one question, in the interviewer's voice."""

from __future__ import annotations

import pytest

from interviewer.interview.cleanup import clean_reply


@pytest.mark.parametrize(
    "raw",
    [
        # Seen from the embedded model: it slipped into the candidate's voice before asking.
        "I have experience in Python and backend systems. Could you give an example of a system you built?",
        "I've led a few migrations myself. Could you give an example of a system you built?",
        "My background is in payments. Could you give an example of a system you built?",
        # After issue 14's short note, once, from the embedded model.
        "I implemented a distributed caching mechanism to reduce latency. Could you give an example of a system you built?",
    ],
)
def test_a_lead_in_in_the_candidates_voice_is_dropped(raw: str) -> None:
    assert clean_reply(raw, "question") == "Could you give an example of a system you built?"


def test_a_short_interviewer_lead_in_is_kept() -> None:
    raw = "That sounds painful. Why did the cache return the wrong tenant's data?"
    assert clean_reply(raw, "question") == raw


# -- the live draft (StreamFilter) -----------------------------------------------------------------
def feed_all(pieces: list[str], names: tuple[str, ...] = ("Morgan",), mode: str = "question") -> tuple[list[str], bool]:
    from interviewer.interview.cleanup import StreamFilter

    flt = StreamFilter(mode, names, [])  # type: ignore[arg-type]
    return [flt.feed(p) for p in pieces], flt.done


def test_the_first_words_show_as_soon_as_they_cannot_be_a_label() -> None:
    # Every token held back costs ~0.1 s before the first words on the embedded model (issue 14).
    shown, done = feed_all(["What", " was", " the", " cause", "?"])
    assert shown == ["", "What was", " the", " cause", "?"] and done


@pytest.mark.parametrize("pieces", [
    ["Mor", "gan", ":", " What", " was", " the", " cause", "?"],
    ["**", "Interviewer", ":**", " What", " was", " the", " cause", "?"],
    ["Sure", ",", " what", " was", " the", " cause", "?"],
])
def test_a_label_or_an_acknowledgement_is_still_held_back_and_dropped(pieces: list[str]) -> None:
    shown, done = feed_all(pieces)
    assert "".join(shown).strip().lower() == "what was the cause?" and done


def test_reading_stops_once_the_model_writes_the_candidates_side() -> None:
    shown, done = feed_all(["Candidate", ":", " I", " think"])
    assert done and "".join(shown) == ""
    shown, done = feed_all(["Here", "'s", " a", " question", " for", " you", ":", " how", " did", " it", " go"])
    assert not done  # "for you:" is a preamble, not the candidate's side


def test_a_story_in_the_candidates_voice_is_never_shown_and_not_read_to_the_end() -> None:
    story = ("Tomás Ortega: I've had several disagreements with colleagues, and the one that stands out is when "
             "we argued for weeks about the schema of the orders table before we finally agreed on a plan.")
    shown, done = feed_all([w + " " for w in story.split()], names=("Priya Raman", "Tomás Ortega"))
    assert "".join(shown) == "" and done
    shown, done = feed_all(["I'm", " curious", ".", " Why", " Kafka", "?"])
    assert "".join(shown) == "I'm curious. Why Kafka?" and done  # a question after all: shown


@pytest.mark.parametrize("line", ["Please share a bit about yourself.", "To begin, please share a bit about yourself."])
def test_a_polite_request_counts_as_a_question(line: str) -> None:
    assert clean_reply(f"Sure. {line}", "question") == line


@pytest.mark.parametrize(
    "raw",
    [
        "Tomás Ortega: As Tomás, tell me about a time you disagreed with a colleague.",  # the note echoed
        "Dana Brooks: Tomás, tell me about a time you disagreed with a colleague.",  # a panellist addressed
        "Sure, Tomás. Tell me about a time you disagreed with a colleague.",
    ],
)
def test_an_echoed_note_or_a_panellist_addressed_is_repaired_to_the_question(raw: str) -> None:
    names = ["Priya Raman", "Tomás Ortega", "Dana Brooks"]
    assert clean_reply(raw, "question", names) == "Tell me about a time you disagreed with a colleague."


@pytest.mark.parametrize(
    ("raw", "names", "line"),
    [
        ("Well, Sam, how's your day been going so far?", ["Sam"], "How's your day been going so far?"),
        ("How're you doing so far, Sam?", ["Sam"], "How're you doing so far?"),
        ("Hi Tomás, how's your day going?", ["Priya Raman", "Tomás Ortega"], "How's your day going?"),
        ("Please share a bit about yourself, please.", ["Morgan"], "Please share a bit about yourself."),
    ],
)
def test_an_interviewer_is_never_addressed_and_courtesy_is_not_doubled(raw: str, names: list[str], line: str) -> None:
    assert clean_reply(raw, "question", names) == line


def test_a_panellist_scripted_mid_line_ends_the_line() -> None:
    names = ["Priya Raman", "Tomás Ortega"]
    assert clean_reply("What broke first? Priya Raman: And how did you find it?", "question", names) == "What broke first?"
    assert clean_reply("Thank you. Priya Raman: how did it go?", "question", names) is None


def test_a_name_later_in_the_line_is_kept() -> None:
    line = "Priya mentioned your migration. What broke first?"
    assert clean_reply(line, "question", ["Priya Raman", "Tomás Ortega"]) == line


def test_a_lead_in_that_only_acknowledges_is_dropped_like_praise() -> None:
    # After a spoken answer the persona's `heard` line has said "Okay." already.
    for lead in ("Understood.", "Got it.", "I see.", "Makes sense!", "Thank you for sharing."):
        assert clean_reply(f"{lead} Why did the export time out?", "question") == "Why did the export time out?"
    kept = "Understood, so the index was gone. Why did nobody notice?"
    assert clean_reply(kept, "question") == kept  # it says something specific: kept
