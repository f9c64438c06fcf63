"""`voxtune serve` as OpenAI's audio API: a real server process on loopback, driven by the
official `openai` client. Speech in every format decodes at the model's rate (pcm at 24
kHz), streams as audio and as SSE; Whisper-base transcribes espeak-ng speech in every
response format; hostile requests get the right status and a JSON error, and the server
goes on serving."""

import base64
import io
import json
import re
import shutil

import av
import jiwer
import numpy as np
import openai
import pytest
import requests
import soundfile as sf

from tests.conftest import SENTENCES, TTS_VOICES
from tests.serving import running_server

KEY = "test-key-5f1c"
RATE = 16000  # the tiny codec's
UPLOAD_LIMIT = 1_000_000


@pytest.fixture(scope="module")
def layout(tts_corpus, tiny_voice, tmp_path_factory):
    """The voices folder: a reference id (`narrator/`), a clip by path (`clips/ben.wav`), a
    link to a clip outside (`escape.wav`), and that outside clip (`secret.wav`)."""
    root = tmp_path_factory.mktemp("serve")
    voices, data = root / "voices", tts_corpus / "data"
    for target, source in [("narrator/ref", "anna/s0"), ("clips/ben", "ben/s1"),
                           ("../secret", "ben/s2")]:
        (voices / target).parent.mkdir(parents=True, exist_ok=True)
        for suffix in (".wav", ".lab"):
            shutil.copyfile((data / source).with_suffix(suffix),
                            (voices / target).with_suffix(suffix))
    for suffix in (".wav", ".lab"):
        (voices / f"escape{suffix}").symlink_to(root / f"secret{suffix}")
    return root


@pytest.fixture(scope="module")
def server(layout, tiny_voice):
    with running_server(["--model", str(tiny_voice), "--voices", str(layout / "voices"),
                         "--api-key", KEY, "--threads", "1",
                         "--max-upload-bytes", str(UPLOAD_LIMIT), "sampling.max_frames=30"],
                        layout / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def spoken(espeak, tmp_path_factory):
    """SENTENCES[3] spoken by espeak-ng, as a WAV file (Whisper-base hears it exactly)."""
    samples, rate = espeak(SENTENCES[3], voice="en-us+m3", speed=150)
    path = tmp_path_factory.mktemp("asr") / "beach.wav"
    sf.write(path, samples, rate)
    return path


def speak(client, fmt: str, voice="ben", text="Hello there. How are you?") -> bytes:
    return client.audio.speech.create(model="tts-1", voice=voice, input=text,
                                      response_format=fmt).read()


def decoded(data: bytes) -> tuple[int, float]:
    """(sample rate, seconds) of an audio file's bytes, through FFmpeg."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return stream.codec_context.sample_rate, samples / stream.codec_context.sample_rate


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())


@pytest.mark.parametrize("fmt,rate", [("wav", RATE), ("flac", RATE), ("mp3", RATE),
                                      ("opus", 48000), ("aac", RATE)])
def test_speech_in_each_format_decodes_at_its_rate(client, fmt, rate):
    heard_rate, seconds = decoded(speak(client, fmt))
    assert heard_rate == rate and seconds > 0.3


def test_wav_and_flac_read_with_soundfile_and_pcm_is_24_khz(client):
    wav, wav_rate = sf.read(io.BytesIO(speak(client, "wav")))
    flac, flac_rate = sf.read(io.BytesIO(speak(client, "flac")))
    pcm = np.frombuffer(speak(client, "pcm"), dtype="<i2")
    assert wav_rate == flac_rate == RATE and len(wav) == len(flac) > 0
    # sampling is seeded, so the same request speaks the same audio, here resampled
    assert len(pcm) / 24000 == pytest.approx(len(wav) / RATE, abs=0.01)
    assert np.abs(wav).max() > 0


def test_streamed_wav_has_a_header_for_unknown_length(client):
    with client.audio.speech.with_streaming_response.create(
            model="tts-1", voice="anna", input=SENTENCES[1], response_format="wav") as reply:
        assert reply.headers["content-type"] == "audio/wav"
        body = b"".join(reply.iter_bytes())
    assert body[:4] == b"RIFF" and body[4:8] == b"\xff\xff\xff\xff"
    assert body[40:44] == b"\xff\xff\xff\xff"
    audio, rate = sf.read(io.BytesIO(body))
    assert rate == RATE and len(audio) / rate > 0.3


def test_sse_carries_base64_audio_then_done(client):
    raw = client.audio.speech.create(model="tts-1", voice="default", input=SENTENCES[2],
                                     response_format="mp3", stream_format="sse").read()
    events = [json.loads(line[len("data: "):]) for line in raw.decode().splitlines()
              if line.startswith("data: ")]
    assert [e["type"] for e in events[:-1]] == ["speech.audio.delta"] * (len(events) - 1)
    assert events[-1]["type"] == "speech.audio.done"
    assert events[-1]["usage"]["input_tokens"] == len(SENTENCES[2])
    assert events[-1]["usage"]["output_tokens"] > 0
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    rate, seconds = decoded(audio)
    assert rate == RATE and seconds > 0.3


def test_reference_clips_speak_by_id_and_by_path(client):
    for voice in ("narrator", {"id": "clips/ben.wav"}):
        rate, seconds = decoded(speak(client, "wav", voice=voice))
        assert rate == RATE and seconds > 0.1


def test_models_lists_the_voice_and_the_recognizer(client, tiny_voice):
    names = [model.id for model in client.models.list().data]
    assert names == [tiny_voice.name, "whisper:whisper-base-ct2"]


def test_transcriptions_in_every_format(client, spoken):
    def transcribe(fmt, **extra):
        with open(spoken, "rb") as audio:
            return client.audio.transcriptions.create(model="whisper-1", file=audio,
                                                      response_format=fmt, **extra)

    heard = words(transcribe("json", language="en").text)
    assert jiwer.wer(words(SENTENCES[3]), heard) < 0.25  # the real Whisper-base listened
    assert words(transcribe("text")) == heard
    subtitles = transcribe("srt")
    assert subtitles.startswith("1\n00:00:00,000 --> 00:00:0") and heard in words(subtitles)
    cues = transcribe("vtt")
    assert cues.startswith("WEBVTT\n\n00:00:00.000 --> ") and heard in words(cues)
    verbose = transcribe("verbose_json", timestamp_granularities=["word", "segment"],
                         prompt="The beach.", temperature=0.0)
    duration = sf.info(str(spoken)).duration
    assert verbose.duration == pytest.approx(duration, abs=0.01) and verbose.language == "en"
    assert jiwer.wer(words(SENTENCES[3]), words(verbose.text)) < 0.25
    assert verbose.segments and verbose.segments[-1].end <= duration + 0.5
    assert " ".join(words(w.word) for w in verbose.words) == words(verbose.text)
    assert all(a.start <= b.start for a, b in zip(verbose.words, verbose.words[1:],
                                                      strict=False))


def error_of(call) -> tuple[int, dict]:
    with pytest.raises(openai.APIStatusError) as caught:
        call()
    body = caught.value.response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert "Traceback" not in caught.value.response.text
    return caught.value.status_code, body["error"]


@pytest.mark.parametrize("voice,status,code", [
    ("../secret.wav", 400, "voice_path_refused"),
    ("../missing.wav", 400, "voice_path_refused"),  # the same answer: no existence oracle
    ("clips/../../secret.wav", 400, "voice_path_refused"),
    ("{root}/secret.wav", 400, "voice_path_refused"),  # absolute, to a clip with its .lab
    ("escape.wav", 400, "voice_path_refused"),  # a link inside, to that clip outside
    ("alloy", 404, "voice_not_found"),
    ("clips/nobody.wav", 404, "voice_not_found"),
])
def test_voices_outside_the_folder_or_unknown_are_refused(client, layout, voice, status,
                                                          code):
    got, error = error_of(lambda: speak(client, "wav", voice=voice.format(root=layout)))
    assert (got, error["code"], error["param"]) == (status, code, "voice")


def test_hostile_speech_requests_get_json_errors(client, server):
    status, error = error_of(lambda: speak(client, "wav", text="word " * 1000))
    assert status == 400 and error["param"] == "input" and "4096" in error["message"]
    status, error = error_of(lambda: client.audio.speech.create(
        model="tts-9", voice="ben", input="Hello."))
    assert status == 404 and error["code"] == "model_not_found"
    status, error = error_of(lambda: client.audio.speech.create(
        model="tts-1", voice="ben", input="Hello.", extra_body={"volume": 11}))
    assert status == 400 and error["param"] == "volume"
    status, error = error_of(lambda: client.audio.speech.create(
        model="tts-1", voice="ben", input="Hello.", speed=3.0))
    assert status == 400 and "speed 3.0" in error["message"]
    auth = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    broken = requests.post(f"{server}/v1/audio/speech", data=b'{"input": "Hel', headers=auth,
                           timeout=10)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    nowhere = requests.get(f"{server}/v1/nowhere", headers=auth, timeout=10)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["message"]


def test_bad_uploads_get_json_errors(client, tmp_path):
    garbage = tmp_path / "noise.wav"
    garbage.write_bytes(np.random.default_rng(0).bytes(50_000))
    status, error = error_of(lambda: client.audio.transcriptions.create(
        model="whisper-1", file=garbage.open("rb")))
    assert status == 400 and error["code"] == "invalid_audio"
    huge = tmp_path / "huge.wav"
    sf.write(huge, np.zeros(UPLOAD_LIMIT, dtype=np.float32), RATE)
    status, error = error_of(lambda: client.audio.transcriptions.create(
        model="whisper-1", file=huge.open("rb")))
    assert status == 413 and "--max-upload-bytes" in error["message"]
    status, error = error_of(lambda: client.audio.transcriptions.create(
        model="gpt-4o-transcribe-diarize", file=garbage.open("rb")))
    assert status == 400 and error["param"] == "model"


def test_a_wrong_or_missing_key_is_refused_and_health_stays_open(server):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}):
        reply = requests.get(f"{server}/v1/models", headers=headers, timeout=10)
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "invalid_api_key"
    bad = openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    assert requests.get(f"{server}/health", timeout=10).json() == {"status": "ok"}


def metric(server: str, pattern: str) -> float:
    text = requests.get(f"{server}/metrics", headers={"Authorization": f"Bearer {KEY}"},
                        timeout=10).text
    found = re.search("^" + re.escape(pattern) + r" (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_the_server_serves_after_refusals_and_counts_requests(client, server):
    ok = 'voxtune_requests_total{route="/v1/audio/speech",status="200"}'
    missing = 'voxtune_requests_total{route="/v1/audio/speech",status="404"}'
    first = 'voxtune_first_audio_seconds_count{route="/v1/audio/speech"}'
    produced = "voxtune_audio_produced_seconds_total"
    before = {name: metric(server, name) for name in (ok, missing, first, produced)}
    error_of(lambda: speak(client, "wav", voice="nobody"))
    rate, seconds = decoded(speak(client, "wav", voice=sorted(TTS_VOICES)[0]))
    assert rate == RATE and seconds > 0.3
    after = {name: metric(server, name) for name in before}
    assert after[ok] == before[ok] + 1 and after[missing] == before[missing] + 1
    assert after[first] == before[first] + 1
    assert after[produced] - before[produced] == pytest.approx(seconds, abs=0.05)
    assert metric(server, 'voxtune_queue_depth{work="speech"}') == 0
