"""A spoken answer, transcribed while it is spoken, and judged before it becomes an answer.

The browser sends the microphone in small chunks for as long as the mic is on. Waiting for the
end to transcribe would make a 60-second answer wait several seconds after the mic stops, so
the audio is cut into windows of about `WINDOW_SECONDS`, each at the quietest moment near its
end (between words, not through one), and each window is transcribed as soon as it is complete;
when the mic stops only the last window is left. Windows are transcribed one at a time, in
order, each told the text before it.

With a `LanguageCheck`, the answer's language is checked once, on its first 30 s, as soon as
there is enough speech (from CHECK_AFTER_SECONDS on, before the first window, so while the
candidate speaks; a shorter answer is checked when the mic stops). An answer in another language
is then written down in that language by the multilingual model, and judged OTHER_LANGUAGE:
shown, not sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from interviewer.voice.audio import Pcm, loudness
from interviewer.voice.language import LANGUAGE_SECONDS, MIN_SPEECH_SECONDS, LanguageGuess
from interviewer.voice.speech_to_text import Transcript

log = logging.getLogger("interviewer.voice")

# Each window's text goes to the interviewer's prewarm and the reader's read (webapp/microphone.py),
# so at mic off only the last window is new to them. 12 s against 20 s (benchmarks/bench_voice.py,
# RESULTS.md section 9c): mic off -> the follow-up's first words 2.9-3.1 s against 4.8-5.9 s, every
# spoken follow-up chosen by the reader; word error rate 0.13 / 0.046 on the 15 s / 60 s answers
# against 0.087 / 0.070 (one text each, two runs: within the voice's run-to-run spread); 8 s: 0.152 / 0.081.
WINDOW_SECONDS = 12.0
# The cut goes at the quietest 100 ms of the window's last seconds.
SEARCH_SECONDS = 4.0
FRAME_SECONDS = 0.1
# A longer answer than any interview needs (a 10-minute monologue fits); beyond it the mic's
# audio is not kept and the candidate is told, with everything until then transcribed.
MAX_SECONDS = 15 * 60.0
# Shorter than a word: a click of the mic button.
MIN_SECONDS = 0.3
# Whisper's own default for "this decode failed" (faster-whisper's log_prob_threshold): below
# it the words are more likely invented than heard. Noise and silence never get here (the
# voice-activity filter leaves no text). Another language mostly does not either: the shipped
# tiny.en model writes invented English for it, with a confidence that overlaps clear English
# (German spoken by the shipped voice: only 13 of 30 fell below this line); the language check
# below catches it instead.
UNSURE_BELOW = -1.0
# The language is first looked at once this much is recorded: about MIN_SPEECH_SECONDS of speech
# after the candidate starts, so nearly every answer is checked while it is spoken, and the check
# (~0.7 s) is not added to the wait after the mic stops (benchmarks/RESULTS.md §9b). A look
# that finds too little speech is repeated each LOOK_AGAIN_SECONDS (the silence filter alone, ~20 ms).
CHECK_AFTER_SECONDS = 6.0
LOOK_AGAIN_SECONDS = 2.0

Transcribe = Callable[[Pcm, str | None], Awaitable[Transcript]]
# Told the text so far after each window (the app lets the model read it, as it reads a typed draft).
OnText = Callable[[str], Awaitable[object]]


@dataclass(frozen=True)
class LanguageCheck:
    """What catches an answer in another language (voice/language.py's LanguageIdentifier)."""

    identify: Callable[[Pcm], Awaitable[LanguageGuess | None]]
    # The words in the language heard (audio, the text before it, the language's code): tiny.en's
    # would be invented English.
    transcribe: Callable[[Pcm, str | None, str], Awaitable[Transcript]]


class Recording:
    """The audio so far and where the untranscribed part starts."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._audio = bytearray()
        self._done = 0  # bytes already handed out for transcription
        self._odd = b""  # half a sample, kept until its other byte arrives
        self.overflow = False

    @property
    def seconds(self) -> float:
        return len(self._audio) / 2 / self.rate

    def add(self, data: bytes) -> None:
        data = self._odd + data
        whole = len(data) - len(data) % 2
        data, self._odd = data[:whole], data[whole:]  # a chunk never shifts later samples by a byte
        room = int(MAX_SECONDS * self.rate) * 2 - len(self._audio)
        if len(data) > room:
            self.overflow = True
            data = data[: max(room, 0)]
        self._audio.extend(data)

    def next_window(self) -> Pcm | None:
        """A complete window to transcribe now, or None while less than one is waiting."""
        waiting = len(self._audio) - self._done
        if waiting < int(WINDOW_SECONDS * self.rate) * 2:
            return None
        start = self._done
        end = start + self._quietest_cut(start, start + int(WINDOW_SECONDS * self.rate) * 2)
        self._done = end
        return Pcm(bytes(self._audio[start:end]), self.rate)

    def rest(self) -> Pcm:
        start, self._done = self._done, len(self._audio)
        return Pcm(bytes(self._audio[start:]), self.rate)

    def whole(self) -> Pcm:
        return Pcm(bytes(self._audio), self.rate)

    def head(self, seconds: float) -> Pcm:
        return Pcm(bytes(self._audio[: int(seconds * self.rate) * 2]), self.rate)

    def _quietest_cut(self, start: int, end: int) -> int:
        """Byte length from `start` to the middle of the quietest frame in the search span."""
        frame = int(FRAME_SECONDS * self.rate)
        span = int(SEARCH_SECONDS * self.rate)
        samples = Pcm(bytes(self._audio[start:end]), self.rate).samples()
        tail = samples[-span:]
        frames = tail[: tail.size - tail.size % frame].reshape(-1, frame)
        if frames.size == 0:
            return end - start
        quietest = int(np.argmin(np.sqrt(np.mean(np.square(frames), axis=1))))
        cut_sample = samples.size - tail.size + quietest * frame + frame // 2
        return cut_sample * 2


class Verdict(str, Enum):
    ANSWER = "answer"  # words heard clearly: they become the answer
    NOTHING = "nothing"  # no speech (silence, the mic muted, a click)
    UNSURE = "unsure"  # words, but likely invented: shown, not sent
    OTHER_LANGUAGE = "other language"  # not English: shown (in that language), not sent


@dataclass(frozen=True)
class Heard:
    text: str
    verdict: Verdict
    audio_seconds: float
    # Seconds from the mic stopping to the text being ready (only the last window's work).
    final_seconds: float
    overflow: bool
    confidence: float | None
    # The language check's guess (None: not checked, or too little speech to tell).
    language: LanguageGuess | None = None


def judge(parts: list[Transcript], recording: Recording, language: LanguageGuess | None = None) -> Verdict:
    """Whether the transcript is the candidate's answer, nothing, another language, or words not
    to trust."""
    text = " ".join(p.text for p in parts if not p.empty).strip()
    if recording.seconds < MIN_SECONDS or not text:
        return Verdict.NOTHING
    if not any(ch.isalnum() for ch in text):
        return Verdict.NOTHING
    if language is not None and language.other_language:
        return Verdict.OTHER_LANGUAGE
    confidence = overall_confidence(parts)
    if confidence is not None and confidence < UNSURE_BELOW:
        return Verdict.UNSURE
    return Verdict.ANSWER


def overall_confidence(parts: list[Transcript]) -> float | None:
    scored = [(p.confidence, p.audio_seconds) for p in parts if p.confidence is not None and not p.empty]
    weight = sum(w for _, w in scored)
    if not scored or weight <= 0:
        return None
    return sum(c * w for c, w in scored if c is not None) / weight


class LiveTranscription:
    """Feeds a Recording and transcribes its windows in the background, in order."""

    def __init__(self, transcribe: Transcribe, rate: int, on_text: OnText | None = None,
                 check: LanguageCheck | None = None) -> None:
        self.recording = Recording(rate)
        self._transcribe = transcribe
        self._on_text = on_text
        self._check = check
        self._parts: list[Transcript] = []
        self._chain: asyncio.Task[None] | None = None
        self.language: LanguageGuess | None = None
        # Seconds of the recording given to the language check so far, and when to look (again).
        # A look that finds too little speech (the candidate was still thinking) is repeated with
        # more audio; the model itself names a language once per answer.
        self._looked = 0.0
        self._next_look = CHECK_AFTER_SECONDS
        self._looking = False  # a look is in the chain
        self._check_failed = False

    def add(self, data: bytes) -> None:
        """Synchronous on purpose: chunks arrive as tasks created in order, and each one's audio
        is appended before the next runs."""
        self.recording.add(data)
        if self.recording.seconds >= self._next_look:
            self._look()
        while (window := self.recording.next_window()) is not None:
            self._chain = asyncio.create_task(self._after(self._chain, window))

    def _look_due(self) -> bool:
        return (self._check is not None and self.language is None and not self._check_failed
                and not self._looking and self._looked < min(self.recording.seconds, LANGUAGE_SECONDS))

    def _look(self) -> None:
        if self._look_due():
            self._looking = True
            head = self._head()
            self._next_look = self.recording.seconds + LOOK_AGAIN_SECONDS
            self._chain = asyncio.create_task(self._identify_after(self._chain, head))

    def _head(self) -> Pcm:
        """The audio the language check reads now (at most LANGUAGE_SECONDS), marked as read."""
        head = self.recording.head(LANGUAGE_SECONDS)
        self._looked = head.seconds
        return head

    async def _identify_after(self, previous: asyncio.Task[None] | None, head: Pcm) -> None:
        if previous is not None:
            await previous
        await self._identify(head)

    async def _identify(self, head: Pcm) -> None:
        assert self._check is not None
        try:
            self.language = await self._check.identify(head)
        except Exception:
            # A guard, not a gate: without a language the answer is judged as it was before.
            log.warning("the language check failed; this answer is not checked", exc_info=True)
            self._check_failed = True
        finally:
            self._looking = False

    def _other_language(self) -> str | None:
        """The code of the language heard when the check found it is not English."""
        return self.language.language if self.language is not None and self.language.other_language else None

    async def _words(self, audio: Pcm) -> Transcript:
        language = self._other_language()
        if language is not None and self._check is not None:
            return await self._check.transcribe(audio, self._prompt(), language)
        return await self._transcribe(audio, self._prompt())

    async def _after(self, previous: asyncio.Task[None] | None, window: Pcm) -> None:
        if previous is not None:
            await previous
        self._parts.append(await self._words(window))
        # An answer in another language will not be sent: the model need not read it.
        if self._on_text is not None and self._other_language() is None:
            try:
                await self._on_text(" ".join(p.text for p in self._parts if not p.empty))
            except Exception:
                log.warning("the text-so-far callback failed", exc_info=True)

    def _prompt(self) -> str | None:
        """The last words before the window (about 200 characters, from a word's start)."""
        text = " ".join(p.text for p in self._parts if not p.empty)
        if len(text) > 200:
            text = text[-200:].partition(" ")[2]
        return text or None

    async def finish(self) -> Heard:
        """Everything heard: waits for the windows in flight, then transcribes the rest."""
        loop = asyncio.get_running_loop()
        stopped = loop.time()
        if self._chain is not None:
            await self._chain
        if self.recording.seconds >= MIN_SPEECH_SECONDS and self._look_due():
            # An answer shorter than CHECK_AFTER_SECONDS, or whose looks found too little speech.
            await self._identify(self._head())
        rest = self.recording.rest()
        if rest.seconds >= MIN_SECONDS and loudness(rest.samples()) > 0:
            self._parts.append(await self._words(rest))
        text = " ".join(p.text for p in self._parts if not p.empty).strip()
        return Heard(
            text=text,
            verdict=judge(self._parts, self.recording, self.language),
            audio_seconds=self.recording.seconds,
            final_seconds=loop.time() - stopped,
            overflow=self.recording.overflow,
            confidence=overall_confidence(self._parts),
            language=self.language,
        )

    def cancel(self) -> None:
        if self._chain is not None and not self._chain.done():
            self._chain.cancel()
