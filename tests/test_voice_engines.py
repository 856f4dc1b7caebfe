"""The shipped speech engines for real: Piper (joe) speaks, faster-whisper (tiny.en) listens, and
the multilingual Whisper base tells English from another language (spoken by espeak-ng).

Each engine loads once for the module (about a second each). Piper's voice is not deterministic
(its model samples noise), so every bound below was set after measuring several runs on this
machine and leaves a margin; the measured values are in the comments. Nothing here asserts on
time: the machine may be busy with other runs.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from interviewer.voice.audio import BROWSER_RATE, Pcm, from_samples, read_wav, resample
from interviewer.voice.language import LanguageGuess, WhisperLanguageIdentifier
from interviewer.voice.recording import CHECK_AFTER_SECONDS, Heard, LanguageCheck, LiveTranscription, Recording
from interviewer.voice.recording import Verdict, judge
from interviewer.voice.speech_to_text import Transcript, WhisperTranscriber
from interviewer.voice.text_to_speech import STYLES, PiperSynthesizer, style_for

# Interview answers with names, numbers and technical words; spoken by Piper, heard by Whisper.
SENTENCES: list[str] = json.loads((Path(__file__).parent / "data" / "spoken_english.json").read_text(encoding="utf-8"))["sentences"]

# Whisper writes small numbers either way ("two" / "2"): both sides are compared as words.
NUMBER_WORDS = dict(enumerate("zero one two three four five six seven eight nine ten eleven twelve".split()))


def words(text: str) -> list[str]:
    """Lower case, no punctuation (hyphens split words, apostrophes stay), digits as words."""
    plain = re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " "))
    return [NUMBER_WORDS.get(int(w), w) if w.isdigit() else w for w in plain.split()]


def edits(reference: list[str], heard: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions and insertions)."""
    row = list(range(len(heard) + 1))
    for i, ref in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, word in enumerate(heard, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ref != word))
    return row[-1]


def wer(references: list[str], heard: list[str]) -> float:
    """Word error rate over all sentences: total edits / total reference words."""
    total = sum(edits(words(r), words(h)) for r, h in zip(references, heard, strict=True))
    return total / sum(len(words(r)) for r in references)


def test_wer_itself() -> None:
    assert wer(["We ran 2 tests."], ["we ran two tests"]) == 0.0
    assert wer(["a b c d"], ["a x c"]) == 0.5  # one substitution, one deletion
    assert wer(["a b"], ["a b c d"]) == 1.0  # two insertions


@pytest.fixture(scope="module")
def tts() -> PiperSynthesizer:
    return PiperSynthesizer()


@pytest.fixture(scope="module")
def stt() -> WhisperTranscriber:
    return WhisperTranscriber(threads=2)


@pytest.fixture(scope="module")
def round_trips(tts: PiperSynthesizer, stt: WhisperTranscriber) -> dict[int, list[tuple[Pcm, Transcript]]]:
    """Every sentence spoken in each of the first three styles and transcribed: done once, as it
    is the slow part (~40 s here), and read by the tests below."""
    return {
        index: [(pcm, stt.transcribe(pcm)) for pcm in (tts.speak(s, style_for(index)) for s in SENTENCES)]
        for index in range(3)
    }


def test_spoken_questions_are_heard_back_nearly_word_for_word(
    round_trips: dict[int, list[tuple[Pcm, Transcript]]],
) -> None:
    heard = [t.text for _, t in round_trips[0]]
    error = wer(SENTENCES, heard)
    print(f"\nstyle 0 WER {error:.3f}")
    # Measured 0.048-0.072 over seven runs here (tiny.en mishears "Prometheus", "mentored",
    # "queries", "cache", "error"); bound 0.15.
    assert error <= 0.15, heard
    # No sentence is lost: the worst one measured 0.25 every run ("I mentored two junior
    # developers" -> "I'm Ender 2 Jr. Developers"); bound 0.5.
    assert all(wer([s], [h]) <= 0.5 for s, h in zip(SENTENCES, heard, strict=True)), heard
    # Clear speech is well above the "unsure" line (-1.0): measured -0.17 to -0.47 per sentence.
    for pcm, transcript in round_trips[0]:
        recording = Recording(pcm.rate)
        recording.add(pcm.data)
        assert judge([transcript], recording) is Verdict.ANSWER


@pytest.mark.parametrize("index", [0, 1, 2])
def test_every_panel_style_stays_intelligible(round_trips: dict[int, list[tuple[Pcm, Transcript]]], index: int) -> None:
    heard = [t.text for _, t in round_trips[index]]
    error = wer(SENTENCES, heard)
    print(f"\nstyle {index} {STYLES[index]} WER {error:.3f}")
    # Measured over seven runs: style 0 0.048-0.072, style 1 (slower, lower) 0.048-0.096,
    # style 2 (faster, higher) 0.048-0.078; worst sentence 0.42. Bound 0.18 for each.
    assert error <= 0.18, heard


def pitch(pcm: Pcm) -> float:
    """Median fundamental frequency (Hz) of the voiced 40 ms frames, by autocorrelation."""
    samples, frame = pcm.samples(), int(0.04 * pcm.rate)
    low, high = int(pcm.rate / 400), int(pcm.rate / 60)  # a speaking voice: 60-400 Hz
    found = []
    for start in range(0, samples.size - frame, frame):
        piece = samples[start : start + frame]
        if np.sqrt(np.mean(piece**2)) < 0.05:
            continue  # a pause or a quiet consonant
        piece = piece - piece.mean()
        corr = np.correlate(piece, piece, "full")[frame - 1 :]
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] > 0.3 * corr[0]:  # clearly periodic: a vowel
            found.append(pcm.rate / lag)
    return float(np.median(found))


def test_panel_styles_sound_different(round_trips: dict[int, list[tuple[Pcm, Transcript]]]) -> None:
    def joined(index: int) -> Pcm:
        return Pcm(b"".join(pcm.data for pcm, _ in round_trips[index]), BROWSER_RATE)

    spoken = [joined(i) for i in range(3)]
    seconds = [p.seconds for p in spoken]
    pitches = [pitch(p) for p in spoken]
    print(f"\nseconds {seconds} pitch {pitches}")
    # Style 1 is slower and style 2 faster: measured 50.7-51.3 s / 56.6-57.2 s / 46.4-46.7 s for
    # the 12 sentences (ratios 1.10-1.13 and 0.90-0.92 to style 0); asserted: 4% apart, in order.
    assert seconds[1] > 1.04 * seconds[0] and seconds[2] < 0.96 * seconds[0]
    # Pitch follows the style's factor: measured 92-93 / 82-84 / 103-105 Hz (ratios 0.887-0.901
    # and 1.107-1.138 for 0.88 and 1.12); asserted within 0.04 of the factor.
    for index in (1, 2):
        assert pitches[index] / pitches[0] == pytest.approx(STYLES[index].pitch / STYLES[0].pitch, abs=0.04)


@pytest.mark.parametrize("level", [0.05, 0.1, 0.3])
def test_white_noise_is_not_an_answer(stt: WhisperTranscriber, level: float) -> None:
    rng = np.random.default_rng(2024)
    noise = from_samples((rng.standard_normal(5 * BROWSER_RATE) * level).astype(np.float32), BROWSER_RATE)
    transcript = stt.transcribe(noise)
    recording = Recording(BROWSER_RATE)
    recording.add(noise.data)
    # Measured: empty text (no confidence) at every level tried, 0.05 to 0.3 RMS: the VAD filter
    # finds no speech in it. Asserted: nothing is heard, so nothing is sent as an answer.
    assert transcript.text == "" and transcript.confidence is None
    assert judge([transcript], recording) is Verdict.NOTHING


def test_silence_is_heard_as_nothing(stt: WhisperTranscriber) -> None:
    transcript = stt.transcribe(Pcm(bytes(4 * BROWSER_RATE * 2), BROWSER_RATE))
    # Whisper alone writes "Thank you." and the like for silence; it must not invent words here.
    assert transcript.text == "" and transcript.confidence is None and transcript.audio_seconds == 4.0


# Another language, spoken by espeak-ng's own voice for it (the shipped Piper voice speaking German
# phonemes still sounds English: the multilingual model heard English at 0.79-0.95).
OTHER_LANGUAGES = {
    "de": ("German", [
        "Ich habe das Projekt letztes Jahr mit meinem Team geleitet.",
        "Die Datenbank war zu langsam, deshalb haben wir einen Zwischenspeicher gebaut.",
        "Meine größte Stärke ist, dass ich ruhig bleibe, wenn etwas schiefgeht.",
    ]),
    "es": ("Spanish", [
        "El año pasado dirigí la migración de nuestro servicio de facturación.",
        "La base de datos era lenta porque faltaba un índice en la tabla de clientes.",
        "Cuando falló la versión, la revertí y le expliqué al equipo de soporte lo que pasó.",
    ]),
}
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="needs espeak-ng (scripts/install-system-deps.sh installs it)")


def espeak(voice: str, sentences: list[str], english_phonemes: bool = False) -> Pcm:
    """The sentences in espeak-ng's voice for `voice`, 0.4 s apart, at the browser's rate. With
    `english_phonemes`, English sentences are turned into English phonemes first and the voice
    says them with its own language's sounds: English with a strong accent."""
    assert ESPEAK is not None
    pieces = []
    for sentence in sentences:
        said = sentence
        if english_phonemes:
            phonemes = subprocess.run([ESPEAK, "-q", "-x", "-v", "en-us", sentence], capture_output=True, text=True,
                                      check=True).stdout
            said = "[[" + " ".join(phonemes.split()) + "]]"
        wav = read_wav(subprocess.run([ESPEAK, "-v", voice, "--stdout", said], capture_output=True, check=True).stdout)
        pieces += [resample(wav.samples(), wav.rate, BROWSER_RATE), np.zeros(int(0.4 * BROWSER_RATE), np.float32)]
    return from_samples(np.concatenate(pieces), BROWSER_RATE)


@pytest.fixture(scope="module")
def identifier(tmp_path_factory: pytest.TempPathFactory) -> WhisperLanguageIdentifier:
    """The multilingual model, joined into a cache of its own from the two installed packages."""
    return WhisperLanguageIdentifier(tmp_path_factory.mktemp("cache"), threads=2)


async def hear(pcm: Pcm, stt: WhisperTranscriber, identifier: WhisperLanguageIdentifier) -> tuple[Heard, int]:
    """The answer through LiveTranscription as the app runs it (0.5 s chunks, engines in threads);
    also how many pieces the English model wrote."""
    english = []

    async def transcribe(audio: Pcm, prompt: str | None) -> Transcript:
        english.append(audio.seconds)
        return await asyncio.to_thread(stt.transcribe, audio, prompt=prompt)

    async def identify(audio: Pcm) -> LanguageGuess | None:
        return await asyncio.to_thread(identifier.identify, audio)

    async def transcribe_in(audio: Pcm, prompt: str | None, language: str) -> Transcript:
        return await asyncio.to_thread(identifier.transcribe, audio, language=language, prompt=prompt)

    live = LiveTranscription(transcribe, pcm.rate, check=LanguageCheck(identify, transcribe_in))
    step = int(0.5 * pcm.rate) * 2
    for i in range(0, len(pcm.data), step):
        live.add(pcm.data[i : i + step])
        await asyncio.sleep(0)
    return await live.finish(), len(english)


@needs_espeak
@pytest.mark.parametrize("code", list(OTHER_LANGUAGES))
async def test_an_answer_in_another_language_is_caught_named_and_written_in_it(
    code: str, stt: WhisperTranscriber, identifier: WhisperLanguageIdentifier
) -> None:
    name, sentences = OTHER_LANGUAGES[code]
    pcm = espeak(code, sentences)
    # What tiny.en alone makes of it: invented English for the German ("If heaven has to be
    # eclipsed..."), nothing for the Spanish; its confidence cannot tell (recording.UNSURE_BELOW).
    print(f"\ntiny.en: {stt.transcribe(pcm).text!r}")
    heard, english_pieces = await hear(pcm, stt, identifier)
    guess = heard.language
    assert guess is not None
    print(f"{code}: {guess} -> {heard.text!r}")
    # Looked at once, at 6 s (CHECK_AFTER_SECONDS). Measured: German 0.95 with English 0.029 (33
    # times English), Spanish 0.93 with English 0.012 (74 times); the rule needs 20.
    assert (guess.language, guess.name, heard.verdict) == (code, name, Verdict.OTHER_LANGUAGE)
    assert english_pieces == 0  # written by the multilingual model, in that language
    # The words as said (measured: 27 of 31 German and 25 of 34 Spanish words), where tiny.en
    # wrote invented English for the German and nothing at all for the Spanish.
    said = set(re.findall(r"\w+", " ".join(sentences).lower()))
    assert len(said & set(re.findall(r"\w+", heard.text.lower()))) >= len(said) // 2, heard.text


# Measured with these sentences, at 6 s and in full: English on top (0.27-0.81), or Latin (ru in
# full, hi at 6 s and in full: at most 2.5 times English), which never counts.
ACCENTS = ("de", "es", "fr-fr", "pt", "ru", "hi", "vi")


@pytest.fixture(scope="module")
def english_answers(round_trips: dict[int, list[tuple[Pcm, Transcript]]]) -> dict[str, Pcm]:
    """Three-sentence answers (12-16 s): the Piper voice in each panel style, espeak-ng's US and
    British English, and English phonemes said by espeak-ng voices of other languages."""
    def joined(pcms: list[Pcm]) -> Pcm:
        return Pcm(b"".join(p.data for p in pcms), BROWSER_RATE)

    answers = {f"piper style {i}": joined([pcm for pcm, _ in round_trips[i][:3]]) for i in range(3)}
    if ESPEAK is not None:
        answers |= {f"espeak {v}": espeak(v, SENTENCES[:3]) for v in ("en-us", "en-gb")}
        answers |= {f"accented {v}": espeak(v, SENTENCES[:3], english_phonemes=True) for v in ACCENTS}
    return answers


@pytest.mark.parametrize("who", [f"piper style {i}" for i in range(3)] + [
    pytest.param(f"espeak {v}", marks=needs_espeak) for v in ("en-us", "en-gb")] + [
    pytest.param(f"accented {v}", marks=needs_espeak) for v in ACCENTS])
def test_english_is_not_taken_for_another_language(
    who: str, english_answers: dict[str, Pcm], identifier: WhisperLanguageIdentifier
) -> None:
    pcm = english_answers[who]
    for audio in (Pcm(pcm.data[: int(CHECK_AFTER_SECONDS * pcm.rate) * 2], pcm.rate), pcm):  # as looked at, and all
        guess = identifier.identify(audio)
        print(f"\n{who} {audio.seconds:.1f} s: {guess}")
        assert guess is not None and not guess.other_language, guess
        if not who.startswith("accented"):
            # Clear English: measured 0.995-0.999 (Piper), 0.94-0.98 (espeak-ng US and British).
            assert (guess.language, guess.english > 0.8) == ("en", True), guess


async def test_a_long_spoken_answer_is_transcribed_while_it_is_spoken(
    tts: PiperSynthesizer, stt: WhisperTranscriber
) -> None:
    said = SENTENCES[:11]
    answer = tts.speak(" ".join(said), style_for(0))
    calls: list[float] = []

    async def transcribe(audio: Pcm, prompt: str | None) -> Transcript:
        calls.append(audio.seconds)
        return await asyncio.to_thread(stt.transcribe, audio, prompt=prompt)

    live = LiveTranscription(transcribe, BROWSER_RATE)
    step = int(0.5 * BROWSER_RATE) * 2
    for i in range(0, len(answer.data), step):  # the browser's 0.5 s chunks
        live.add(answer.data[i : i + step])
        await asyncio.sleep(0)
    heard = await live.finish()
    error = wer([" ".join(said)], [heard.text])
    print(f"\n{answer.seconds:.1f} s in pieces {calls}; WER {error:.3f}; confidence {heard.confidence}")
    # ~47 s of speech: two windows cut while it was spoken, then the rest (measured 3 pieces:
    # about 18 s, 17 s and 12 s).
    assert len(calls) >= 3 and sum(calls) == pytest.approx(answer.seconds)
    # Measured 0.026-0.059 over five runs (the same few words as sentence by sentence; no word
    # lost at a cut); bound 0.12.
    assert error <= 0.12, heard.text
    assert heard.verdict is Verdict.ANSWER and not heard.overflow
