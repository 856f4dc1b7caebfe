"""Questions read aloud (issue 25, a setting, off by default).

While the mic has been used in this page, the browser's audio player is connected (Chainlit
connects it when the mic starts) and each sentence is sent to it as soon as it is complete and
synthesised, so the voice starts with the first sentence. Before that, the whole question is
attached to its message as an audio element that plays itself once the question is complete.
Synthesis runs in a worker thread, one sentence after another, in order; a failure is logged and
the question stays on screen as text.
"""

from __future__ import annotations

import asyncio
import logging
import re

import chainlit as cl
from chainlit.types import OutputAudioChunk

from interviewer.session import Session
from interviewer.text import sentence_texts
from interviewer.voice.audio import Pcm
from interviewer.voice.sentence_feed import SentenceFeed
from interviewer.voice.text_to_speech import Synthesizer, VoiceStyle, style_for
from webapp import personas
from webapp.services import get_services
from webapp.state import state
from webapp.voice_engines import speech_plan, synthesizer

log = logging.getLogger("interviewer.app")

# Sent to the player in pieces of this many seconds (a whole sentence is a few hundred KB).
PIECE_SECONDS = 1.0


def speaking_on() -> bool:
    chosen = state().prefs.speak_questions
    wanted = get_services().settings.speak_questions if chosen is None else chosen
    return wanted and speech_plan().speak


class QuestionVoice:
    """Speaks one interviewer message: sentences as they stream, the rest when it is final."""

    def __init__(self, session: Session, engine: Synthesizer, track: str) -> None:
        self.session = session
        self.engine = engine
        self.track = track
        self.streaming = state().player_connected
        self.feed = SentenceFeed()
        self.spoken: list[str] = []  # sentences handed to the synthesiser
        self.speaker: str | None = None
        self._chain: asyncio.Task[Pcm | None] | None = None
        self._audio: list[Pcm] = []

    def token(self, text: str, speaker: str | None, pause: bool = False) -> None:
        """`pause`: the words so far are whole and the rest comes later (the engine's `heard`
        line while it decides): said now, and the rest may be another panellist's."""
        self.speaker = self.speaker or speaker
        for sentence in [*self.feed.feed(text), *(self.feed.flush() if pause else [])]:
            self._say(sentence)
        if pause:
            self.speaker = None

    def _say(self, sentence: str) -> None:
        self.spoken.append(_plain(sentence))
        style = style_for(personas.voice_index(self.session.persona, self.speaker))
        self._chain = asyncio.create_task(self._after(self._chain, sentence, style))

    async def _after(self, previous: asyncio.Task[Pcm | None] | None, sentence: str, style: VoiceStyle) -> Pcm | None:
        if previous is not None:
            await previous
        try:
            audio = await asyncio.to_thread(self.engine.speak, sentence, style)
        except Exception:
            log.warning("could not speak a sentence", exc_info=True)
            return None
        self._audio.append(audio)
        if self.streaming:
            await _play(audio, self.track)
        return audio

    async def finish(self, final_text: str, message: cl.Message | None) -> None:
        """The question is final: speak each of its sentences the stream did not. The engine may
        trim or replace the streamed draft (a repaired or template line); then the final
        sentences are said after it, so what is heard last is what is on screen."""
        for sentence in sentence_texts(final_text):
            if sentence.strip() and _plain(sentence) not in self.spoken:
                self._say(sentence.strip())
        if self._chain is not None:
            await self._chain
        if not self.streaming and self._audio and message is not None:
            whole = Pcm(b"".join(a.data for a in self._audio), self._audio[0].rate)
            audio = cl.Audio(name="Listen", content=whole.wav(), mime="audio/wav",
                             auto_play=True, display="inline")
            # Not stored with the chat's history (a few hundred KB a question, and a reopened
            # chat should not start talking): Chainlit keeps it for this browser session only.
            await audio.send(for_id=message.id, persist=False)

    def cancel(self) -> None:
        if self._chain is not None and not self._chain.done():
            self._chain.cancel()


def _plain(sentence: str) -> str:
    """A sentence as compared with another: words only (a repair may drop a quote or a label)."""
    return " ".join(re.findall(r"[a-z0-9']+", sentence.lower()))


async def _play(audio: Pcm, track: str) -> None:
    step = int(PIECE_SECONDS * audio.rate) * 2
    for start in range(0, len(audio.data), step):
        piece = OutputAudioChunk(track=track, mimeType="pcm16", data=audio.data[start : start + step])
        await cl.context.emitter.send_audio_chunk(piece)


async def engine_if_on() -> Synthesizer | None:
    """The synthesiser when this chat's questions are read aloud, else None."""
    if not speaking_on():
        return None
    try:
        return await synthesizer()
    except Exception:
        log.warning("text to speech failed to load", exc_info=True)
        return None
