"""Post-processing of the model's line: one question, in the interviewer's voice."""

from __future__ import annotations

import pytest

from interviewer.interview.phrasing import clean_reply


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
