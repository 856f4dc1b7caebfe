"""The browser app's voice, driven through the real handlers with a mocked socket (the pattern of
test_app_handlers.py): spoken answers become answers, and every way a recording can go wrong
gets a plain sentence with nothing recorded as an answer; questions read aloud stream to the
player sentence by sentence, or arrive as one audio element before the mic was ever used.
The speech engines here are fakes (their real behaviour: test_voice_engines.py, e2e/test_voice.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from interviewer.session import TurnKind
from interviewer.text import sentence_texts
from interviewer.voice import recording
from interviewer.voice.audio import BROWSER_RATE, Pcm, from_samples
from interviewer.voice.backends import SpeechPlan
from interviewer.voice.language import LanguageGuess
from interviewer.voice.speech_to_text import Transcript
from interviewer.voice.text_to_speech import VoiceStyle
from test_app_handlers import (  # noqa: F401  (fixtures)
    Browser,
    browser,
    evaluator,
    live_session,
    model,
    services,
    started,
    RecordingEvaluator,
)
from webapp import microphone
from webapp.services import Services
from webapp.state import state
from webapp.voice_engines import VoiceEngines, set_voice_engines

SPOKEN = "I found the slow query in the logs and added the missing index."


class FakeTranscriber:
    name = "fake"

    def __init__(self, text: str = SPOKEN, confidence: float | None = -0.2, fail: bool = False) -> None:
        self.text, self.confidence, self.fail = text, confidence, fail
        self.calls: list[float] = []

    def transcribe(self, audio: Pcm, *, prompt: str | None = None) -> Transcript:
        self.calls.append(audio.seconds)
        if self.fail:
            raise RuntimeError("decoder crashed")
        return Transcript(self.text, audio.seconds, 0.0, self.confidence)


class FakeIdentifier:
    """Hears `language`; writes GESPROCHEN for audio in it."""

    name = "fake"

    def __init__(self, language: str = "de", probability: float = 0.97, english: float = 0.01) -> None:
        self.guess = LanguageGuess(language, probability, english, 5.0, 0.0)
        self.looked: list[float] = []
        self.written: list[tuple[float, str]] = []

    def identify(self, audio: Pcm) -> LanguageGuess | None:
        self.looked.append(audio.seconds)
        return self.guess

    def transcribe(self, audio: Pcm, *, language: str, prompt: str | None = None) -> Transcript:
        self.written.append((audio.seconds, language))
        return Transcript(GESPROCHEN, audio.seconds, 0.0, -0.4)


GESPROCHEN = "Ich habe die langsame Abfrage im Protokoll gefunden."


class FakeSynthesizer:
    name = "fake"

    def __init__(self) -> None:
        self.said: list[str] = []

    def speak(self, text: str, style: VoiceStyle) -> Pcm:
        self.said.append(text)
        return from_samples(np.full(BROWSER_RATE // 2, 0.1, dtype=np.float32), BROWSER_RATE)


def speech(seconds: float) -> bytes:
    rng = np.random.default_rng(1)
    return from_samples(rng.uniform(-0.3, 0.3, int(seconds * BROWSER_RATE)).astype(np.float32), BROWSER_RATE).data


def engines(transcriber: FakeTranscriber | None = None, synthesizer: FakeSynthesizer | None = None,
            listen: bool = True, identifier: FakeIdentifier | None = None) -> VoiceEngines:
    problem = None if listen else "voice needs the voice extra: `make run VOICE=1`"
    plan = SpeechPlan(listen, True, problem, None, identifier is not None)
    return VoiceEngines(plan, transcriber or FakeTranscriber(), synthesizer or FakeSynthesizer(), identifier)


@pytest.fixture(autouse=True)
def no_engines() -> Iterator[None]:
    yield
    set_voice_engines(None)


async def speak_answer(data: bytes, piece_seconds: float = 0.5) -> None:
    assert await microphone.start()
    step = int(piece_seconds * BROWSER_RATE) * 2
    for start in range(0, len(data), step):
        microphone.chunk(data[start : start + step], "pcm16")
    await microphone.stop()


def said(browser: Browser) -> str:
    return "\n".join(browser.texts())


async def test_a_spoken_answer_is_shown_answered_scored_and_marked(
    browser: Browser, services: Services, evaluator: RecordingEvaluator
) -> None:
    set_voice_engines(engines())
    await started(browser, "dour-cto")
    await speak_answer(speech(3.0))
    user_messages = [m for m in browser.messages() if m.get("type") == "user_message"]
    assert user_messages[-1]["output"] == SPOKEN
    session = live_session()
    answers = [t for t in session.turns if t.kind is TurnKind.ANSWER]
    assert [(t.text, t.spoken) for t in answers] == [(SPOKEN, True)]
    assert session.turns[-1].role == "interviewer"  # the next question came
    await services.engine.drain(session, timeout=5)  # type: ignore[union-attr]
    assert [a for _, a in evaluator.seen] == [SPOKEN]  # the transcript is what gets scored


async def test_without_the_voice_extra_the_mic_says_how_to_add_it(browser: Browser, services: Services) -> None:
    set_voice_engines(engines(listen=False))
    assert not await microphone.start()
    assert "make run VOICE=1" in said(browser)
    assert state().listening is None


@pytest.mark.parametrize(
    "transcriber,expected",
    [
        (FakeTranscriber(text=""), "didn't hear anything"),
        (FakeTranscriber(text=" ... "), "didn't hear anything"),
        (FakeTranscriber(confidence=recording.UNSURE_BELOW - 0.5), "not sure I heard that right"),
        (FakeTranscriber(fail=True), "couldn't turn that recording into text"),
    ],
    ids=["silence", "no-words", "unsure", "recogniser-fails"],
)
async def test_a_recording_that_is_not_an_answer_is_said_plainly_and_nothing_is_recorded(
    browser: Browser, services: Services, transcriber: FakeTranscriber, expected: str
) -> None:
    set_voice_engines(engines(transcriber))
    await started(browser, "friendly-team")
    asked = len(live_session().turns)
    await speak_answer(speech(2.0))
    assert expected in said(browser)
    assert len(live_session().turns) == asked  # no answer, no new question
    if "not sure" in expected:
        assert SPOKEN in said(browser)  # shown so it can be pasted: nothing is lost
    # Typing still works afterwards.
    from test_app_handlers import message
    from webapp import messages

    await messages.handle_message(message("Typed: the cache key left out the tenant id."))
    assert [t.spoken for t in live_session().turns if t.kind is TurnKind.ANSWER] == [False]


async def test_an_answer_in_another_language_is_shown_in_it_and_not_sent(
    browser: Browser, services: Services, evaluator: RecordingEvaluator
) -> None:
    transcriber, identifier = FakeTranscriber(), FakeIdentifier("de")
    set_voice_engines(engines(transcriber, identifier=identifier))
    await started(browser, "friendly-team")
    asked = len(live_session().turns)
    await speak_answer(speech(6.0))
    shown = said(browser)
    assert "sounded like German" in shown and "interview is in English" in shown
    assert GESPROCHEN in shown and SPOKEN not in shown  # the words as said, not invented English
    assert "answer again in English, or type your answer" in shown
    assert identifier.looked == [pytest.approx(6.0)] and transcriber.calls == []
    assert len(live_session().turns) == asked and evaluator.seen == []  # nothing sent, nothing scored
    assert not [m for m in browser.messages() if m.get("type") == "user_message"]
    # Typing works as before.
    from test_app_handlers import message
    from webapp import messages

    await messages.handle_message(message("Typed: I found the slow query in the log."))
    assert [t.spoken for t in live_session().turns if t.kind is TurnKind.ANSWER] == [False]


async def test_an_english_answer_goes_through_the_check_unchanged(browser: Browser, services: Services) -> None:
    identifier = FakeIdentifier("en", 0.99, 0.99)
    set_voice_engines(engines(identifier=identifier))
    await started(browser, "friendly-team")
    await speak_answer(speech(6.0))
    assert len(identifier.looked) == 1 and identifier.written == []
    answers = [t for t in live_session().turns if t.kind is TurnKind.ANSWER]
    assert [(t.text, t.spoken) for t in answers] == [(SPOKEN, True)]


async def test_a_monologue_past_the_limit_is_cut_with_a_notice_and_kept(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recording, "MAX_SECONDS", 4.0)
    monkeypatch.setattr(recording, "WINDOW_SECONDS", 1.5)
    transcriber = FakeTranscriber()
    set_voice_engines(engines(transcriber))
    await started(browser, "friendly-team")
    await speak_answer(speech(6.0))
    assert "recording stopped at" in said(browser).lower()
    assert sum(transcriber.calls) == pytest.approx(4.0, abs=0.01)  # all of it, and no more
    assert len(transcriber.calls) >= 2  # transcribed in windows while it was spoken
    assert [t.spoken for t in live_session().turns if t.kind is TurnKind.ANSWER] == [True]


async def test_a_dropped_connection_mid_answer_writes_what_was_heard_into_the_chat(
    browser: Browser, services: Services
) -> None:
    set_voice_engines(engines())
    await started(browser, "friendly-team")
    asked = len(live_session().turns)
    assert await microphone.start()
    microphone.chunk(speech(2.0), "pcm16")
    await microphone.connection_lost()
    assert "connection dropped while you were speaking" in said(browser)
    assert SPOKEN in said(browser)
    assert len(live_session().turns) == asked  # shown, not sent as the answer
    assert state().listening is None


async def reading_aloud(browser: Browser, services: Services) -> FakeSynthesizer:
    """An interview opened with questions read aloud by default (the app's setting)."""
    synthesizer = FakeSynthesizer()
    set_voice_engines(engines(synthesizer=synthesizer))
    services.settings = services.settings.model_copy(update={"speak_questions": True})
    await started(browser, "friendly-team")
    return synthesizer


async def test_questions_read_aloud_stream_to_the_player_sentence_by_sentence(
    browser: Browser, services: Services
) -> None:
    synthesizer = await reading_aloud(browser, services)
    await speak_answer(speech(2.0))  # the mic connected the player
    question = live_session().turns[-1].text
    chunks = browser.events("audio_chunk")
    assert chunks and all(c["mimeType"] == "pcm16" for c in chunks)
    # Every sentence of the question on screen was spoken, one synthesis per sentence, the
    # question's own last (a draft the engine replaced may have been spoken before it).
    finals = [s.strip() for s in sentence_texts(question)]
    assert finals and synthesizer.said[-len(finals):] == finals
    # One track: the question after the spoken answer (the opening one came before the mic was
    # used, as an audio element).
    assert len({c["track"] for c in chunks}) == 1


async def test_before_the_mic_is_used_a_question_arrives_as_one_audio_element(
    browser: Browser, services: Services
) -> None:
    synthesizer = await reading_aloud(browser, services)
    assert not browser.events("audio_chunk")
    elements = [e for e in browser.events("element") if e.get("type") == "audio"]
    assert elements and elements[-1]["autoPlay"] is True
    assert synthesizer.said  # every sentence of the opening line


async def test_a_long_spoken_answer_is_read_by_the_model_while_it_is_spoken(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like a typed draft: after each window the model is handed the answer so far (prewarm)."""
    monkeypatch.setattr(recording, "WINDOW_SECONDS", 1.5)
    set_voice_engines(engines())
    await started(browser, "friendly-team")
    drafts: list[str] = []

    async def prewarm(session: object, draft: str) -> str:
        drafts.append(draft)
        return "sent"

    monkeypatch.setattr(services.engine, "prewarm", prewarm)
    await speak_answer(speech(5.0))
    assert drafts and drafts[0] == SPOKEN  # the first window's words, while still speaking
    assert len(drafts) >= 2


async def test_a_spoken_answer_is_acknowledged_aloud_while_the_reader_reads_it(
    browser: Browser, services: Services
) -> None:
    """The transcript is known only at mic off: the persona's `heard` line is said before the
    reader's read of it returns, and the follow-up is the reader's choice (engine.reply)."""
    from test_probe_head import reading

    synthesizer = FakeSynthesizer()
    set_voice_engines(engines(synthesizer=synthesizer))
    services.settings = services.settings.model_copy(update={"speak_questions": True})
    await started(browser, "dour-cto")
    heard = services.personas.get("dour-cto").phrases.heard
    said_while_reading: list[list[str]] = []

    class Reader:
        async def read_kinds(self, question: str, text: str) -> object:
            for _ in range(200):  # up to 2 s for the acknowledgement to reach the synthesiser
                if any(s in heard for s in synthesizer.said):
                    break
                await asyncio.sleep(0.01)
            said_while_reading.append(list(synthesizer.said))
            return reading(impact=0.9)

    engine = services.engine
    assert engine is not None
    engine.readings.reader, engine.spoken_read_wait = Reader(), 5.0  # type: ignore[assignment]
    await speak_answer(speech(3.0))
    assert said_while_reading and any(s in heard for s in said_while_reading[0])
    probe = live_session().turns[-1]
    assert probe.probe_kind == "impact" and probe.text.split(" ", 1)[0] in " ".join(heard)
