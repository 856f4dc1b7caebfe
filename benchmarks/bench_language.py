"""(25) The language check's rule, measured: when does the multilingual Whisper base model
(interviewer/voice/language.py) take an answer for another language?

Synthetic speech only (no recorded people): three-sentence answers (8-23 s, 0.4 s pauses, a
noise floor of RMS 0.002), each looked at as the app looks (its silence filter, then the model)
on the first 3, 5, 6 and 8 s and on all of it. Sets:
- other:    espeak-ng's own voice for 11 languages, speaking that language (two answers each);
- english:  the shipped Piper voice in the three panel styles, and eight espeak-ng English voices;
- accented: English turned into English phonemes (espeak-ng -x) and said by 14 espeak-ng voices of
            other languages, with their sounds: English with a heavy accent (normal pace, and slow);
- spelled:  English text read by foreign espeak-ng voices with their own spelling rules (harsher
            than any accent: often not English at all; the voices of non-Latin scripts fall back
            to English). For accented and spelled, the word error rate of the base model writing
            the answer in English says how English it still is.
For each look: the likeliest language, its probability, English's, and whether the rule flags it.
    python benchmarks/bench_language.py --out benchmarks/bench_language-latest.json   # ~15 min
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, emit, machine
from bench_voice import wer

from interviewer.config import default_cache_dir
from interviewer.voice import language
from interviewer.voice.audio import WHISPER_RATE, Pcm, from_samples, read_wav, resample
from interviewer.voice.language import CATCH_ALL, OTHER_LANGUAGE_ODDS, WhisperLanguageIdentifier
from interviewer.voice.text_to_speech import PiperSynthesizer, style_for

# The word-error-rate sentences of tests/test_voice_engines.py.
ENGLISH: list[str] = json.loads((ROOT / "tests" / "data" / "spoken_english.json").read_text(encoding="utf-8"))["sentences"]
ANSWERS = [ENGLISH[i: i + 3] for i in range(0, 12, 3)]
OTHER = json.loads((Path(__file__).parent / "data" / "language_sentences.json").read_text(encoding="utf-8"))
ENGLISH_VOICES = ["en-us", "en-gb", "en-029", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-gb-x-rp",
                  "en-us-nyc"]
ACCENTS = ["de", "es", "fr-fr", "it", "pt", "nl", "pl", "tr", "id", "ru", "hi", "cmn", "vi", "ja"]
SPELLERS = ["de", "es", "fr-fr", "it", "pt", "nl", "pl", "ru", "hi", "cmn", "tr", "vi", "ja", "ko", "ar", "bn", "ta",
            "id"]
LOOKS = [3.0, 5.0, 6.0, 8.0, 30.0]


def espeak(voice: str, text: str, speed: int = 175, english_phonemes: bool = False) -> np.ndarray:
    if english_phonemes:
        phonemes = subprocess.run(["espeak-ng", "-q", "-x", "-v", "en-us", text], capture_output=True, text=True,
                                  check=True).stdout
        text = "[[" + " ".join(phonemes.split()) + "]]"
    out = subprocess.run(["espeak-ng", "-s", str(speed), "-v", voice, "--stdout", text], capture_output=True,
                         check=True).stdout
    pcm = read_wav(out)
    return resample(pcm.samples(), pcm.rate, WHISPER_RATE)


def answer(pieces: list[np.ndarray], rng: np.random.Generator) -> Pcm:
    gap = np.zeros(int(0.4 * WHISPER_RATE), dtype=np.float32)
    audio = np.concatenate([x for p in pieces for x in (p, gap)])
    return from_samples(audio + rng.normal(0, 0.002, audio.size).astype(np.float32), WHISPER_RATE)


def answers(tts: PiperSynthesizer, rng: np.random.Generator) -> Iterator[tuple[str, str, str, Pcm]]:
    """(set, voice, what was said, audio) for every answer of every set."""
    for code, sentences in OTHER.items():
        voice = {"fr": "fr-fr", "zh": "cmn"}.get(code, code)
        for said in (sentences[:3], sentences[3:]):
            yield "other", voice, " ".join(said), answer([espeak(voice, s) for s in said], rng)
    for style in range(3):
        for said in ANSWERS:
            pieces = [resample(tts.speak(s, style_for(style)).samples(), 24_000, WHISPER_RATE) for s in said]
            yield "english", f"piper{style}", " ".join(said), answer(pieces, rng)
    for voice in ENGLISH_VOICES:
        for said in ANSWERS[:2]:
            yield "english", voice, " ".join(said), answer([espeak(voice, s) for s in said], rng)
    for voice in ACCENTS:
        for pace, group in ((175, ANSWERS[:2]), (140, ANSWERS[2:])):
            for said in group:
                pieces = [espeak(voice, s, pace, english_phonemes=True) for s in said]
                yield "accented", f"{voice}@{pace}", " ".join(said), answer(pieces, rng)
    for voice in SPELLERS:
        for said in ANSWERS[:2]:
            yield "spelled", voice, " ".join(said), answer([espeak(voice, s) for s in said], rng)


def flagged(language: str, probability: float, english: float) -> bool:
    """The rule, as language.LanguageGuess.other_language applies it."""
    return language != "en" and language not in CATCH_ALL and probability >= OTHER_LANGUAGE_ODDS * english


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("other", "english", "accented", "spelled"):
        for look in LOOKS:
            these = [r for r in rows if r["set"] == kind and r["look_s"] == look]
            odds = [r["odds"] for r in these if r["language"] not in CATCH_ALL]
            out[f"{kind} {look:.0f}s"] = {
                "answers": len(these), "flagged": sum(r["flagged"] for r in these),
                "flagged_voices": sorted({r["voice"] for r in these if r["flagged"]}),
                "english_on_top": sum(r["language"] == "en" for r in these),
                "latin_on_top": sum(r["language"] in CATCH_ALL for r in these),
                "max_odds_latin": max([r["odds"] for r in these if r["language"] in CATCH_ALL] or [0]),
                "max_odds_other": max(odds or [0]), "min_odds_flagged": min([r["odds"] for r in these
                                                                            if r["flagged"]] or [0])}
    return out


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("needs espeak-ng (scripts/install-system-deps.sh)")
    identifier = WhisperLanguageIdentifier(default_cache_dir())  # the app's cache folder: joined there once
    # Looks shorter than the app's minimum too (3 s), to show why it has one.
    minimum, language.MIN_SPEECH_SECONDS = language.MIN_SPEECH_SECONDS, 0.5
    tts, rng, rows = PiperSynthesizer(), np.random.default_rng(25), []
    for kind, voice, said, pcm in answers(tts, rng):
        written = None
        if kind in ("accented", "spelled"):
            written = wer(said, identifier.transcribe(pcm, language="en").text)
        for look in LOOKS:
            guess = identifier.identify(Pcm(pcm.data[: int(look * pcm.rate) * 2], pcm.rate))
            if guess is None:
                continue
            odds = 0.0 if guess.language == "en" else guess.probability / max(guess.english, 1e-4)
            rows.append({"set": kind, "voice": voice, "audio_s": round(pcm.seconds, 1), "look_s": look,
                         "language": guess.language, "p": round(guess.probability, 3),
                         "english": round(guess.english, 3), "odds": round(odds, 1),
                         "flagged": flagged(guess.language, guess.probability, guess.english), "wer": written})
            print(f"[bench_language] {rows[-1]}", flush=True)
    result = {"machine": machine(), "rule": {"odds": OTHER_LANGUAGE_ODDS, "never": sorted(CATCH_ALL),
                                             "min_speech_s": minimum},
              "summary": summary(rows), "looks": rows}
    payload = emit("language", result)
    if args.out:
        args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return payload


if __name__ == "__main__":
    main()
