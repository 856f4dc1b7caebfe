"""(25) Voice: how long the candidate waits for speech, and what the voice stack costs.

1. Mic off -> transcript: answers of about `--lengths` s (one shorter than the language check's
   first look is cut at its length) spoken by PiperSynthesizer (varied pauses, a faint
   noise floor), fed as pcm16 at the browser rate into LiveTranscription in `--chunk` pieces at
   real-time pace, WhisperTranscriber in a worker thread (webapp/microphone.py); `--repeats` each:
   Heard.final_seconds (target <= 1.5 s for 60 s on 2 cores), word error rate, each window's
   audio/compute/start/end relative to mic off.
2. Question -> first audio: word tokens `--gap` s apart through SentenceFeed, sentences synthesised
   in order in a worker thread (webapp/read_aloud.py): first token -> first sentence's Pcm, -> all,
   stalls of a player starting at the first Pcm, the whole question in one call. Target <= 1.5 s.
3. Typed vs spoken on the embedded model as the app runs it (LLMRuntime defaults: scheduler,
   prewarm, evaluator scoring behind; the transcriber holds the scheduler's gate as
   webapp/voice_engines.py does; the follow-up chosen by the reader as the app's settings say):
   `--turns` answers in turn. Typed: drafts prewarmed `--step` words at a time (bench_latency.py's
   `typing`), Enter. Spoken: real time, each window's text so far handed to engine.prewarm (as
   webapp/microphone.py does), then the transcript to engine.reply(spoken=True). Mic off / Enter ->
   first token, first words (the persona's `heard` line when the reading was not ready), the
   question's own first words, first audio; who chose the follow-up (reader or rules).
   `--spoken-read-wait 0` is the design before it (the rules choose at once for spoken answers).
4. Memory: VmRSS before/after loading each engine, after a synthesis and a transcription, at the end.
5. The language check (interviewer/voice/language.py, multilingual Whisper base): joining its
   weights into an empty cache, the first check (loads the model), each check after it on the
   English answer and on German spoken by espeak-ng (if installed), writing the German down, and
   the memory the model adds. Part 1 runs each answer with the check off and on (`--language-check`),
   part 3 with it as configured there, as the app runs it.
    python benchmarks/bench_voice.py --out benchmarks/bench_voice-latest.json   # ~10 min
    python benchmarks/bench_voice.py --lengths 15 --repeats 1 --questions 2 --turns 0   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import emit, machine

from interviewer.config import default_cache_dir
from interviewer.text import sentence_texts
from interviewer.voice.audio import BROWSER_RATE, Pcm, from_samples, read_wav, resample
from interviewer.voice.language import LanguageGuess, WhisperLanguageIdentifier, base_model_dir
from interviewer.voice import recording
from interviewer.voice.recording import CHECK_AFTER_SECONDS, Heard, LanguageCheck, LiveTranscription
from interviewer.voice.sentence_feed import SentenceFeed
from interviewer.voice.speech_to_text import Transcript, WhisperTranscriber
from interviewer.voice.text_to_speech import PiperSynthesizer, VoiceStyle, style_for

PERSONA = "dour-cto"
SEED = 25
# What the candidate says in part 1 (no digits, so the word error rate needs no number rules).
SENTENCES = re.split(r"(?<=\.) ", (
    "In my last role I led a small team that rebuilt the billing service from scratch. The old system sent "
    "invoices twice whenever a payment provider was slow to answer. We added idempotency keys to every "
    "request and wrote a replay tool for the support staff. After the launch, duplicate invoices dropped to "
    "almost nothing within a few weeks. When two teams disagree about a design, I ask each of them to write "
    "down the risks. Most of the time the written comparison settles the question without a long meeting. "
    "Security reviews used to slow our releases, so we moved the common checks into the build pipeline. I "
    "also learned that clear runbooks matter more than clever code during an outage. My best debugging story "
    "is a memory leak inside a shared web client. Each worker created a new connection pool for every message "
    "and never closed it. Heap snapshots taken an hour apart showed exactly where the memory was going. Since "
    "then, our team checks resource cleanup in every code review. I enjoy mentoring junior engineers, "
    "especially when they are learning to read production logs. On weekends I sometimes send small fixes to "
    "the open source libraries that we depend on. If I joined your company, I would first spend time with the "
    "people who are on call. Good monitoring should tell you what broke before a customer has to. The "
    "database migration took several months because we kept both schemas running side by side. Looking back, "
    "the projects I am proudest of made other people's work easier."))
PAUSES = [0.35, 0.6, 0.25, 0.8, 0.45]  # seconds of silence after each sentence, in turn
QUESTIONS = [
    "Thanks for walking me through that. What was the hardest trade-off you made on the billing rebuild?",
    "Let's talk about reliability. Tell me about the last outage you were part of. What did you change afterwards?",
    "You mentioned mentoring. How do you decide when to step in and when to let someone struggle?",
    "I want to understand your design process. Suppose two services need the same customer data. "
    "Where would it live, and why?",
    "Good. Now something harder. Walk me through how you would find a memory leak in production.",
]
# Part 3's answers, typed and spoken in turn (the 2nd and 4th are spoken): four sentences each.
ANSWERS = [" ".join(SENTENCES[k: k + 4]) for k in range(0, 16, 4)]


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, MiB (/proc/self/status)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"rss_mib": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mib": round(int(fields["VmHWM"].split()[0]) / 1024, 1)}


def words(text: str) -> list[str]:
    text = text.lower().replace("-", " ").replace("'", "").replace("\u2019", "")
    return re.sub(r"[^a-z0-9 ]", " ", text).split()


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return round(row[-1] / max(len(ref), 1), 4)


def stats(values: list[float]) -> dict[str, float | None]:
    return {"n": len(values), "median": round(statistics.median(values), 3) if values else None,
            "max": round(max(values), 3) if values else None}


def load() -> float:  # the 1-minute load average
    return round(os.getloadavg()[0], 2)


class Hold:
    """The app's `_hold_foreground`: the runtime's gate when one is running, else nothing."""

    gate: Any = None

    def __call__(self) -> Callable[[], None]:
        return self.gate.hold() if self.gate is not None else (lambda: None)


def spoken_answer(tts: PiperSynthesizer, sentences: list[str], noise: float, seed: int,
                  about: float | None = None) -> tuple[str, Pcm]:
    """The sentences spoken with pauses over a faint noise floor (as many as come closest to `about` s)."""
    parts: list[np.ndarray] = []
    for i, sentence in enumerate(sentences):
        said = [tts.speak(sentence, style_for(0)).samples(),
                np.zeros(int(PAUSES[i % len(PAUSES)] * BROWSER_RATE), dtype=np.float32)]
        now, more = sum(p.size for p in parts) / BROWSER_RATE, sum(p.size for p in said) / BROWSER_RATE
        if about is not None and parts and abs(now + more - about) > abs(now - about):
            break
        parts += said
    audio = np.concatenate(parts)
    audio += np.random.default_rng(seed).normal(0.0, noise, audio.size).astype(np.float32)
    return " ".join(sentences[: len(parts) // 2]), from_samples(audio, BROWSER_RATE)


def language_check(identifier: WhisperLanguageIdentifier | None, looks: list[dict[str, Any]]) -> LanguageCheck | None:
    """webapp/microphone.py's check: the identifier in a worker thread; each look timed into `looks`."""
    if identifier is None:
        return None

    async def identify(audio: Pcm) -> LanguageGuess | None:
        started = time.perf_counter()
        guess = await asyncio.to_thread(identifier.identify, audio)
        looks.append({"audio_s": round(audio.seconds, 2), "started": started, "ended": time.perf_counter(),
                      "compute_s": round(guess.compute_seconds, 3) if guess else None,
                      "language": guess.language if guess else None,
                      "p": round(guess.probability, 3) if guess else None,
                      "english": round(guess.english, 3) if guess else None})
        return guess

    async def transcribe_in(audio: Pcm, prompt: str | None, language: str) -> Transcript:
        return await asyncio.to_thread(identifier.transcribe, audio, language=language, prompt=prompt)

    return LanguageCheck(identify, transcribe_in)


async def speak_into(stt: WhisperTranscriber, pcm: Pcm, chunk: float,
                     identifier: WhisperLanguageIdentifier | None = None,
                     on_text: Callable[[str], Any] | None = None,
                     ) -> tuple[Heard, list[dict[str, float]], list[dict[str, Any]]]:
    """The microphone: `chunk`-second pieces arriving in real time; then the mic is switched off."""
    calls: list[dict[str, float]] = []
    looks: list[dict[str, Any]] = []

    async def transcribe(audio: Pcm, prompt: str | None) -> Transcript:
        started = time.perf_counter()
        result = await asyncio.to_thread(stt.transcribe, audio, prompt=prompt)
        calls.append({"audio_s": round(audio.seconds, 2), "compute_s": round(result.compute_seconds, 3),
                      "started": started, "ended": time.perf_counter()})
        return result

    live = LiveTranscription(transcribe, pcm.rate, on_text=on_text, check=language_check(identifier, looks))
    step = int(chunk * pcm.rate) * 2
    begun = time.perf_counter()
    for i, offset in enumerate(range(0, len(pcm.data), step)):
        await asyncio.sleep(max(0.0, begun + (i + 1) * chunk - time.perf_counter()))
        live.add(pcm.data[offset: offset + step])  # this piece has just been spoken
    off = time.perf_counter()
    heard = await live.finish()
    for call in [*calls, *looks]:  # relative to the mic going off (negative: while the candidate spoke)
        call["started"], call["ended"] = round(call["started"] - off, 3), round(call["ended"] - off, 3)
    return heard, calls, looks


async def part_transcript(stt: WhisperTranscriber, tts: PiperSynthesizer, identifier: WhisperLanguageIdentifier,
                          args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"load_average_1m_at_start": load()}
    modes = {"both": ["off", "on"], "on": ["on"], "off": ["off"]}[args.language_check]
    for seconds in args.lengths:
        text, pcm = spoken_answer(tts, SENTENCES * 4, args.noise, int(seconds), seconds)
        if seconds < CHECK_AFTER_SECONDS:
            # Shorter than CHECK_AFTER_SECONDS but with MIN_SPEECH_SECONDS of speech: the one case
            # whose language is checked after the mic stops. Two sentences, cut off at `seconds`.
            text, pcm = spoken_answer(tts, SENTENCES[:2], args.noise, int(seconds))
            pcm = Pcm(pcm.data[: int(seconds * pcm.rate) * 2], pcm.rate)
        row: dict[str, Any] = {"audio_s": round(pcm.seconds, 2), "words": len(words(text)), "source_text": text}
        for mode in modes:  # alternating would mix them; each mode's repeats run together
            runs: list[dict[str, Any]] = []
            for repeat in range(args.repeats):
                heard, calls, looks = await speak_into(stt, pcm, args.chunk, identifier if mode == "on" else None)
                runs.append({"final_s": round(heard.final_seconds, 3), "wer": wer(text, heard.text),
                             "verdict": heard.verdict.value, "confidence": round(heard.confidence or 0, 3),
                             "windows": calls, "language_looks": looks, "load_1m": load(),
                             "transcript": heard.text if repeat == 0 else None})
                print(f"[bench_voice] {seconds:.0f} s answer, check {mode}: final {runs[-1]['final_s']} s, "
                      f"WER {runs[-1]['wer']}, windows {calls}, looks {looks}", flush=True)
            row[f"check_{mode}"] = {"final_s": stats([r["final_s"] for r in runs]),
                                    "wer": stats([r["wer"] for r in runs]), "runs": runs}
        out[f"{seconds:.0f}s"] = row
    return out


def espeak(voice: str, text: str) -> Pcm | None:
    """espeak-ng's own voice for a language, at the browser's rate (None without espeak-ng)."""
    if shutil.which("espeak-ng") is None:
        return None
    wav = read_wav(subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], capture_output=True, check=True).stdout)
    return from_samples(resample(wav.samples(), wav.rate, BROWSER_RATE), BROWSER_RATE)


GERMAN = ("Ich habe das Projekt letztes Jahr mit meinem Team geleitet. Die Datenbank war zu langsam, deshalb "
          "haben wir einen Zwischenspeicher gebaut. Meine größte Stärke ist, dass ich ruhig bleibe, wenn etwas "
          "schiefgeht.")


def part_language(identifier: WhisperLanguageIdentifier, tts: PiperSynthesizer, args: argparse.Namespace,
                  mem: dict[str, Any]) -> dict[str, Any]:
    """What one check costs, alone (nothing else running): the model's first use, then each look."""
    out: dict[str, Any] = {"load_average_1m_at_start": load()}
    with tempfile.TemporaryDirectory(prefix="bench-voice-join-") as empty:
        started = time.perf_counter()
        base_model_dir(Path(empty))
        out["join_into_empty_cache_s"] = round(time.perf_counter() - started, 3)
    english = spoken_answer(tts, SENTENCES, args.noise, 2, 15.0)[1]
    started = time.perf_counter()
    identifier.identify(english)  # loads the model (its folder is joined already: the app's cache)
    out["first_check_s"] = round(time.perf_counter() - started, 3)
    mem["language_check_loaded"] = memory()
    answers = {"english_15s": english, "english_60s": spoken_answer(tts, SENTENCES * 4, args.noise, 3, 60.0)[1]}
    if (german := espeak("de", GERMAN)) is not None:
        answers["german_espeak"] = german
    for name, pcm in answers.items():
        guesses = [identifier.identify(pcm) for _ in range(args.repeats + 2)]
        out[name] = {"audio_s": round(pcm.seconds, 2), "check_s": stats([g.compute_seconds for g in guesses if g]),
                     "guess": [g.language, round(g.probability, 3), round(g.english, 3)] if (g := guesses[0]) else None}
    if german is not None:
        started = time.perf_counter()
        written = identifier.transcribe(german, language="de")
        out["german_espeak"]["written_in_german_s"] = round(time.perf_counter() - started, 3)
        out["german_espeak"]["written"] = written.text
        mem["after_a_german_transcription"] = memory()
    print(f"[bench_voice] language check: {out}", flush=True)
    return out


class Voice:
    """webapp/read_aloud.py's QuestionVoice without Chainlit: sentences synthesised in order as the
    stream completes them, then the final text's sentences not said yet (compared as words)."""

    def __init__(self, tts: PiperSynthesizer, style: VoiceStyle) -> None:
        self.tts, self.style, self.feed = tts, style, SentenceFeed()
        self.feed_s, self.said = 0.0, list[str]()
        self.chain: asyncio.Task[None] | None = None
        self.ready: list[tuple[float, float]] = []  # (when the Pcm was ready, its seconds)

    def token(self, text: str, pause: bool = False) -> None:
        started, done = time.perf_counter(), self.feed.feed(text)
        done += self.feed.flush() if pause else []  # a line before a pause is said at once
        self.feed_s += time.perf_counter() - started
        for sentence in done:
            self.say(sentence)

    def say(self, sentence: str) -> None:
        self.said.append(sentence)
        self.chain = asyncio.create_task(self._after(self.chain, sentence))

    async def _after(self, previous: asyncio.Task[None] | None, sentence: str) -> None:
        if previous is not None:
            await previous
        pcm = await asyncio.to_thread(self.tts.speak, sentence, self.style)
        self.ready.append((time.perf_counter(), pcm.seconds))

    async def finish(self, final_text: str) -> None:
        plain = [" ".join(re.findall(r"[a-z0-9']+", t.lower())) for t in self.said]  # read_aloud._plain
        for sentence in [t.strip() for t in sentence_texts(final_text) if t.strip()]:
            if " ".join(re.findall(r"[a-z0-9']+", sentence.lower())) not in plain:
                self.say(sentence)
        if self.chain is not None:
            await self.chain

    def stalls(self) -> float:
        """Silence inside the question for a player that starts at the first Pcm."""
        end, stalled = self.ready[0][0], 0.0
        for ready, seconds in self.ready:
            stalled, end = stalled + max(0.0, ready - end), max(ready, end) + seconds
        return round(stalled, 3)


async def part_first_audio(tts: PiperSynthesizer, args: argparse.Namespace) -> dict[str, Any]:
    rows, started_load = [], load()
    for i, question in enumerate(QUESTIONS[: args.questions]):
        voice, first = Voice(tts, style_for(i)), time.perf_counter()
        for j, token in enumerate(w if j == 0 else " " + w for j, w in enumerate(question.split())):
            await asyncio.sleep(max(0.0, first + j * args.gap - time.perf_counter()))
            voice.token(token)
        streamed = time.perf_counter() - first
        await voice.finish(question)  # the last sentence: when the question is final, as the app does
        whole = time.perf_counter()
        pcm = tts.speak(question, style_for(i))
        rows.append({"sentences": len(voice.said), "first_sentence_words": len(sentence_texts(question)[0].split()),
                     "first_audio_s": round(voice.ready[0][0] - first, 3),
                     "all_audio_ready_s": round(voice.ready[-1][0] - first, 3), "stream_s": round(streamed, 3),
                     "playback_stalls_s": voice.stalls(), "question_audio_s": round(pcm.seconds, 2),
                     "whole_question_synthesis_s": round(time.perf_counter() - whole, 3),
                     "sentence_feed_ms": round(voice.feed_s * 1000, 1)})
        print(f"[bench_voice] question {i + 1}: {rows[-1]}", flush=True)
    return {"load_average_1m_at_start": started_load, "token_gap_s": args.gap,
            "first_audio_s": stats([r["first_audio_s"] for r in rows]),
            "whole_question_synthesis_s": stats([r["whole_question_synthesis_s"] for r in rows]),
            "questions": rows}


class TimedModel:
    """The interviewer's chat model, timestamping the first streamed token (as bench_latency.py)."""

    def __init__(self, model: Any) -> None:
        self.model, self.ainvoke = model, model.ainvoke
        self.first_token_at: float | None = None

    async def astream(self, messages: Any, **kwargs: Any) -> Any:
        async for chunk in self.model.astream(messages, **kwargs):
            if self.first_token_at is None and chunk.content:
                self.first_token_at = time.perf_counter()
            yield chunk


async def ask(engine: Any, session: Any, events: Callable[[], Any], voice: Voice | None) -> dict[str, Any]:
    """Runs one engine call and times it from now: first token, first words, question, first audio."""
    from interviewer.interview.events import TokenEvent, TurnEvent

    engine.model.first_token_at = None
    enter, shown, row, streamed = time.perf_counter(), None, dict[str, Any](), list[str]()
    used, heard = engine.readings.used, None
    async for event in events():
        if isinstance(event, TokenEvent):
            streamed.append(event.text)
            if event.pause:  # the `heard` line, said while the reading completes
                heard = time.perf_counter()
            elif shown is None and engine.model.first_token_at is not None:
                shown = time.perf_counter()
            if voice is not None:
                voice.token(event.text, event.pause)
        if isinstance(event, TurnEvent) and event.turn.role == "interviewer":
            row["question_s"] = round(time.perf_counter() - enter, 3)
            row["question"] = event.turn.text
            if voice is not None:
                await voice.finish(event.turn.text)
    first = engine.model.first_token_at
    row["first_token_s"] = round(first - enter, 3) if first else None
    # A line replaced by code streams no tokens: the words appear when the question lands.
    row["question_words_s"] = round(shown - enter, 3) if shown else row.get("question_s")
    row["first_words_s"] = round(heard - enter, 3) if heard else row["question_words_s"]
    row["chosen_by"] = "reader" if engine.readings.used > used else "rules"
    row["streamed"] = "".join(streamed)
    if voice is not None and voice.ready:
        row["first_audio_s"] = round(voice.ready[0][0] - enter, 3)
        row["playback_stalls_s"] = voice.stalls()
        # What the candidate hears is the question on screen (not a draft the engine replaced).
        row["heard_is_question"] = voice.said == [t.strip() for t in sentence_texts(row.get("question", ""))]
        if not row["heard_is_question"]:
            row["heard"] = voice.said
    return row


async def part_interview(stt: WhisperTranscriber, hold: Hold, tts: PiperSynthesizer,
                         identifier: WhisperLanguageIdentifier, args: argparse.Namespace) -> dict[str, Any]:
    from interviewer.config import Backend, load_settings
    from interviewer.evaluation.scorer import make_evaluator
    from interviewer.interview.engine import InterviewEngine
    from interviewer.interview.personas import PersonaLibrary
    from interviewer.interview.probe_head import kind_reader_for
    from interviewer.llm.model_files import default_model_path
    from interviewer.llm.provider import LLMRuntime, Role

    answers = [ANSWERS[i % len(ANSWERS)] for i in range(args.turns)]
    audio = {i: spoken_answer(tts, sentence_texts(a), args.noise, i)[1] for i, a in enumerate(answers) if i % 2}
    settings = load_settings(backend=Backend.LOCAL, cache_dir=Path(tempfile.mkdtemp(prefix="bench-voice-")),
                             model_path=default_model_path(default_cache_dir()))
    started = time.perf_counter()
    with LLMRuntime(settings) as runtime:
        hold.gate = runtime.foreground
        out: dict[str, Any] = {"runtime": runtime.describe(), "startup_s": round(time.perf_counter() - started, 1),
                               "scheduler": runtime.foreground is not None, "prewarm": settings.prewarm_enabled,
                               "load_average_1m_at_start": load()}
        evaluator = make_evaluator(runtime)
        wait = settings.spoken_read_wait if args.spoken_read_wait is None else args.spoken_read_wait
        engine = InterviewEngine(runtime.chat_model(Role.INTERVIEWER, streaming=True), PersonaLibrary.load(),
                                 evaluator, evaluation_concurrency=settings.evaluation_slots,
                                 prewarm=settings.prewarm_enabled,
                                 kind_reader=kind_reader_for(evaluator, settings.probe_reader), spoken_read_wait=wait)
        out["spoken_read_wait"], out["reader"] = wait, engine.readings.reader is not None
        engine.model = TimedModel(engine.model)  # type: ignore[assignment]  # the prewarmer keeps the plain one
        session = engine.new_session(PERSONA, seed=SEED)
        voice = (lambda: Voice(tts, style_for(0))) if args.speak_questions else (lambda: None)
        out["open"] = await ask(engine, session, lambda: engine.open(session), voice())
        rows = []
        for i, answer in enumerate(answers):
            if session.finished:
                break
            row: dict[str, Any] = {"kind": "spoken" if i in audio else "typed", "load_1m": load()}
            if i in audio:
                checked = identifier if args.language_check != "off" else None
                heard, calls, looks = await speak_into(stt, audio[i], args.chunk, checked,
                                                       lambda so_far: engine.prewarm(session, so_far))
                text = heard.text
                row.update(audio_s=round(audio[i].seconds, 1), transcript_final_s=round(heard.final_seconds, 3),
                           wer=wer(answer, text), verdict=heard.verdict.value, windows=calls, language_looks=looks)
            else:
                text, split = answer, answer.split()
                ends = [*range(args.step, len(split) - 2, args.step), len(split) - 2]
                for end in ends:  # bench_latency's typist: each draft read before the next
                    await engine.prewarm(session, " ".join(split[:end]))
                    await engine.prewarm_settled(session)
                row["prewarms"] = len(ends)
            row.update(await ask(engine, session, lambda: engine.reply(session, text, spoken=i in audio), voice()))
            for key in ("first_token_s", "first_words_s", "question_words_s", "first_audio_s"):  # from mic off / Enter
                if row.get(key) is not None:
                    row[f"answer_to_{key}"] = round(row.get("transcript_final_s", 0) + row[key], 3)
            rows.append(row)
            print(f"[bench_voice] turn {i + 1}: {row}", flush=True)
        hold.gate, gate = None, runtime.foreground
        if gate is not None:
            out["evaluator_paused"] = {"times": gate.pauses, "seconds": round(gate.paused_seconds, 1),
                                       "watchdog_overruns": gate.overruns}
    for kind in ("typed", "spoken"):
        out[kind] = {key: stats([r[key] for r in rows if r["kind"] == kind and r.get(key) is not None])
                     for key in ("answer_to_first_token_s", "answer_to_first_words_s", "answer_to_question_words_s",
                                 "first_token_s", "first_words_s", "answer_to_first_audio_s", "transcript_final_s")}
        out[kind]["chosen_by_reader"] = sum(r["kind"] == kind and r["chosen_by"] == "reader" for r in rows)
    out["turns"] = rows
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    mem: dict[str, Any] = {"before": memory()}
    stt = WhisperTranscriber(threads=args.threads or os.cpu_count() or 2, hold=(hold := Hold()))
    mem["whisper_loaded"] = memory()
    tts = PiperSynthesizer()
    mem["piper_loaded"] = memory()
    probe_text, probe = spoken_answer(tts, SENTENCES[:1], args.noise, 1)  # synthesis first, so it is measured alone
    mem["after_one_synthesis"] = memory()
    started, first = time.perf_counter(), stt.transcribe(probe)
    mem["after_one_transcription"] = memory()
    mem["cold_transcription"] = {"audio_s": round(probe.seconds, 2), "wer": wer(probe_text, first.text),
                                 "seconds": round(time.perf_counter() - started, 3)}
    mem["added_mib"] = round(mem["after_one_transcription"]["rss_mib"] - mem["before"]["rss_mib"], 1)
    # The app's identifier: the app's cache folder (joined there once), the same gate as the transcriber.
    identifier = WhisperLanguageIdentifier(default_cache_dir(), threads=args.threads or os.cpu_count() or 2, hold=hold)
    result: dict[str, Any] = {"started": machine()["date"], "threads": args.threads or os.cpu_count(), "memory": mem,
                              "window_s": recording.WINDOW_SECONDS,
                              "chunk_s": args.chunk, "stt": stt.name, "tts": tts.name, "language_id": identifier.name}
    result["language_check"] = part_language(identifier, tts, args, mem)
    mem["language_added_mib"] = round(mem["language_check_loaded"]["rss_mib"]
                                      - mem["after_one_transcription"]["rss_mib"], 1)
    print(f"[bench_voice] memory: {mem}", flush=True)
    if args.lengths:
        result["mic_off_to_transcript"] = await part_transcript(stt, tts, identifier, args)
    if args.questions:
        result["question_to_first_audio"] = await part_first_audio(tts, args)
    mem["after_parts_1_2"] = memory()  # before part 3 imports the engine
    if args.turns:
        result["typed_vs_spoken"] = await part_interview(stt, hold, tts, identifier, args)
    mem["end"] = memory()
    return result


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=lambda s: [float(x) for x in s.split(",") if x], default=[5.8, 15.0, 60.0],
                        help="seconds of spoken answer, comma-separated (empty: skip part 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--questions", type=int, default=len(QUESTIONS), help="part 2's questions (0: skip)")
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between streamed word tokens")
    parser.add_argument("--turns", type=int, default=4, help="answers in part 3's interview (0: no model)")
    parser.add_argument("--step", type=int, default=4, help="words typed between prewarms (typed answers)")
    parser.add_argument("--speak-questions", action=argparse.BooleanOptionalAction, default=True,
                        help="read part 3's questions aloud as they stream")
    parser.add_argument("--window", type=float, default=None,
                        help="seconds per transcription window (default: recording.WINDOW_SECONDS)")
    parser.add_argument("--spoken-read-wait", type=float, default=None,
                        help="part 3: seconds a spoken answer's follow-up waits for the reader (default: the setting)")
    parser.add_argument("--chunk", type=float, default=0.1, help="seconds of audio per microphone chunk")
    parser.add_argument("--noise", type=float, default=0.002, help="microphone noise floor (RMS, full scale 1)")
    parser.add_argument("--threads", type=int, default=None, help="Whisper's threads (default: every core)")
    parser.add_argument("--language-check", choices=["both", "on", "off"], default="both",
                        help="part 1 with the language check off and on, or one of them (part 3: on unless off)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    if args.window is not None:
        recording.WINDOW_SECONDS = args.window
    payload = emit("voice", asyncio.run(run(args)))
    if args.out:
        args.out.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


if __name__ == "__main__":
    main()
