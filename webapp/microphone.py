"""Answers spoken into the microphone (issue 25): the mic's chunks are transcribed while the
candidate speaks; when the mic stops, the transcript is shown as their message and answered like
typed text. Silence, words the recogniser is unsure of, an answer in another language, and
failures get a plain sentence, and the typed path is always there."""

from __future__ import annotations

import asyncio
import logging

import chainlit as cl

from interviewer.voice.audio import BROWSER_RATE, Pcm
from interviewer.voice.language import LanguageGuess
from interviewer.voice.recording import MAX_SECONDS, Heard, LanguageCheck, LiveTranscription, Verdict
from interviewer.voice.speech_to_text import Transcriber, Transcript
from webapp import notices
from webapp.messages import handle_text
from webapp.prewarm_route import prewarm_draft
from webapp.state import state, user_id
from webapp.voice_engines import language_identifier, loaded_transcriber, speech_plan, transcriber

log = logging.getLogger("interviewer.app")

PCM16 = "pcm16"

NOTHING_HEARD = (
    "🎙️ I didn't hear anything. Check that the microphone is allowed for this page and not "
    "muted, then press the mic and speak, or type your answer."
)
UNSURE = (
    "🎙️ I'm not sure I heard that right (the speech recogniser understands English). I heard:\n\n"
    "> {text}\n\nPress the mic to say it again, or type your answer (you can paste the text above)."
)
OTHER_LANGUAGE = (
    "🎙️ That sounded like {language}, and this interview is in English, so I haven't sent it to the "
    "interviewer. I heard:\n\n> {text}\n\nPress the mic to answer again in English, or type your answer."
)
DROPPED = (
    "🎙️ The connection dropped while you were speaking. This is what I heard before it did:\n\n"
    "> {text}\n\nPress the mic to answer again, or type your answer (you can paste the text above)."
)
TOO_LONG = (
    f"🎙️ The recording stopped at {int(MAX_SECONDS // 60)} minutes; everything until then is your answer."
)


async def start() -> bool:
    """The mic was pressed: True starts recording; False keeps it off with a sentence saying why."""
    chat = state()
    voice = speech_plan()
    if not voice.listen:
        await notices.say(f"🎙️ Speaking answers is not available here: {voice.listen_problem}. Type your answer instead.")
        return False
    try:
        engine = await transcriber()
    except Exception as exc:
        log.exception("speech recognition failed to load")
        await notices.error(f"Speech recognition could not start ({type(exc).__name__}). Type your answer instead.")
        return False
    if engine is None:
        return False
    if chat.listening is not None:
        chat.listening.cancel()  # a mic left on by a dropped connection; this one replaces it

    chat.listening = _listen_with(engine)
    chat.player_connected = True
    return True


def _listen_with(engine: Transcriber) -> LiveTranscription:
    chat = state()

    async def transcribe(audio: Pcm, prompt: str | None) -> Transcript:
        return await asyncio.to_thread(engine.transcribe, audio, prompt=prompt)

    async def heard_so_far(text: str) -> None:
        # As for a typed draft (webapp.prewarm_route): the model reads the interview and the
        # answer so far while the candidate is still speaking, so after the mic stops it reads
        # only the last window's words (measured without it: ~1 s more to the first words).
        await prewarm_draft(chat, text)

    return LiveTranscription(transcribe, BROWSER_RATE, on_text=heard_so_far, check=_language_check())


def _language_check() -> LanguageCheck | None:
    identifier = language_identifier()
    if identifier is None:
        return None  # (speech_plan says why; voice works without it)

    async def identify(audio: Pcm) -> LanguageGuess | None:
        return await asyncio.to_thread(identifier.identify, audio)

    async def transcribe_in(audio: Pcm, prompt: str | None, language: str) -> Transcript:
        return await asyncio.to_thread(identifier.transcribe, audio, language=language, prompt=prompt)

    return LanguageCheck(identify, transcribe_in)


def chunk(data: bytes, mime_type: str) -> None:
    """One piece of the microphone (synchronous: pieces arrive as tasks, in order)."""
    if mime_type != PCM16:
        return
    chat = state()
    if chat.listening is None:
        # The mic kept recording through a dropped and restored connection (what came before is
        # in the chat, see connection_lost): what follows is the answer from here on.
        engine = loaded_transcriber()
        if engine is None:
            return
        chat.listening = _listen_with(engine)
    chat.listening.add(data)


async def stop() -> None:
    """The mic was pressed again: the transcript becomes the answer, or a sentence says why not."""
    chat = state()
    listening, chat.listening = chat.listening, None
    if listening is None:
        return
    try:
        heard = await listening.finish()
    except Exception as exc:
        log.exception("transcription failed")
        await notices.error(
            f"I couldn't turn that recording into text ({type(exc).__name__}). Please say it again, "
            "or type your answer."
        )
        return
    guess = heard.language
    log.info("heard %.1f s of audio, text ready %.2f s after the mic stopped (%s; language %s)",
             heard.audio_seconds, heard.final_seconds, heard.verdict.value,
             f"{guess.language} {guess.probability:.2f}, English {guess.english:.2f}" if guess
             else "not checked")
    await respond(heard)


async def respond(heard: Heard) -> None:
    if heard.verdict is Verdict.NOTHING:
        await notices.say(NOTHING_HEARD)
        return
    if heard.verdict is Verdict.UNSURE:
        await notices.say(UNSURE.format(text=heard.text))
        return
    if heard.verdict is Verdict.OTHER_LANGUAGE:
        # Not sent: the interview, its scores and the report are in English. The words stay on
        # screen, written in the language heard, so nothing said is lost.
        language = heard.language.name if heard.language is not None else "another language"
        await notices.say(OTHER_LANGUAGE.format(language=language, text=heard.text))
        return
    await cl.Message(content=heard.text, author=user_id(), type="user_message").send()
    if heard.overflow:
        await notices.say(TOO_LONG)
    await handle_text(heard.text, spoken=True)


async def connection_lost() -> None:
    """The browser went away with the mic on (a reload, a closed lid, a dropped network): what
    was heard is written into the chat's history, where the reopened chat shows it. Not sent as
    the answer: it may stop mid-sentence, and the candidate decides."""
    chat = state()
    listening, chat.listening = chat.listening, None
    chat.player_connected = False
    if listening is None:
        return  # (a click of the mic is judged NOTHING below, without a transcription)
    try:
        heard = await listening.finish()
    except Exception:
        log.exception("transcription after a dropped connection failed")
        return
    if heard.verdict is not Verdict.NOTHING:
        await notices.say(DROPPED.format(text=heard.text))
