"""`voxtune serve` as fish-speech's API: a real server process on loopback, driven as its
clients drive it (msgpack, as `tools/api_client.py` packs `ServeTTSRequest`) and with
JSON. `/v1/tts` speaks with inline references and by reference id, in each format,
streamed or whole; reference ids are added, listed, renamed and deleted in the voices
folder; hostile requests get fish-speech's JSON error shape, and the server goes on
serving."""

import base64
import io

import msgpack
import numpy as np
import pytest
import requests
import soundfile as sf

from tests.serving import running_server
from tests.test_serve_openai import decoded

RATE = 16000  # the tiny codec's
UPLOAD_LIMIT = 1_000_000
UPLOAD_SECONDS = 12  # two clips of some 4.5 s pass, joined
SEC = 60  # a bound on every request's wait
TEXT = "Hello there. How are you?"


@pytest.fixture(scope="module")
def clip(tts_corpus) -> tuple[bytes, str]:
    """A reference clip's bytes (espeak-ng WAV, some 4.5 s) and what it says."""
    path = tts_corpus / "data" / "ben" / "s1.wav"
    return path.read_bytes(), path.with_suffix(".lab").read_text()


@pytest.fixture(scope="module")
def voices(tts_corpus, tmp_path_factory):
    """A voices folder holding one reference id, `narrator/`."""
    root = tmp_path_factory.mktemp("fishspeech") / "voices"
    (root / "narrator").mkdir(parents=True)
    source = tts_corpus / "data" / "anna" / "s0"
    (root / "narrator" / "ref.wav").write_bytes(source.with_suffix(".wav").read_bytes())
    (root / "narrator" / "ref.lab").write_text(source.with_suffix(".lab").read_text())
    return root


def serve_args(tiny_voice) -> list[str]:
    return ["--model", str(tiny_voice), "--asr", "none", "--threads", "1",
            "--max-upload-bytes", str(UPLOAD_LIMIT), "--max-upload-seconds",
            str(UPLOAD_SECONDS), "sampling.max_frames=30"]


@pytest.fixture(scope="module")
def server(tiny_voice, voices):
    with running_server(serve_args(tiny_voice) + ["--voices", str(voices)],
                        voices.parent / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def bare_server(tiny_voice, tmp_path_factory):
    """A server without --voices."""
    log = tmp_path_factory.mktemp("fishspeech_bare") / "server.log"
    with running_server(serve_args(tiny_voice), log) as url:
        yield url


def fish_request(text: str = TEXT, **fields) -> dict:
    """Every field of fish-speech's `ServeTTSRequest`, as its client packs them."""
    return {"text": text, "chunk_length": 200, "format": "wav", "latency": "normal",
            "references": [], "reference_id": None, "seed": None,
            "use_memory_cache": "off", "normalize": True, "streaming": False,
            "max_new_tokens": 1024, "top_p": 0.8, "repetition_penalty": 1.1,
            "temperature": 0.8, **fields}


def tts_msgpack(url: str, fields: dict, stream: bool = False) -> requests.Response:
    return requests.post(f"{url}/v1/tts", params={"format": "msgpack"},
                         data=msgpack.packb(fields), stream=stream, timeout=SEC,
                         headers={"Content-Type": "application/msgpack"})


def tts_json(url: str, fields: dict) -> requests.Response:
    return requests.post(f"{url}/v1/tts", json=fields, timeout=SEC)


def audio_of(reply: requests.Response) -> tuple[np.ndarray, int]:
    assert reply.status_code == 200, reply.text[:500]
    return sf.read(io.BytesIO(reply.content))


def fish_error(reply: requests.Response, status: int) -> str:
    """The message of a refusal in fish-speech's shape."""
    assert reply.status_code == status, reply.text[:500]
    body = reply.json()
    assert body["statusCode"] == status and body["success"] is False and body["error"]
    assert "Traceback" not in reply.text
    return body["message"]


def listed(url: str) -> list[str]:
    reply = requests.get(f"{url}/v1/references/list", timeout=SEC,
                         headers={"Accept": "application/json"})
    assert reply.status_code == 200 and reply.json()["success"] is True
    return reply.json()["reference_ids"]


def test_msgpack_request_with_inline_reference_speaks_a_whole_wav(server, clip):
    audio, text = clip
    reply = tts_msgpack(server, fish_request(references=[{"audio": audio, "text": text}]))
    assert reply.headers["content-type"] == "audio/wav"
    assert reply.content[4:8] != b"\xff\xff\xff\xff"  # a whole file: exact sizes
    samples, rate = audio_of(reply)
    assert rate == RATE and len(samples) / rate > 0.3


def test_json_request_with_base64_reference_or_reference_id(server, clip):
    audio, text = clip
    inline = {"text": TEXT, "references": [
        {"audio": base64.b64encode(audio).decode(), "text": text}] * 2}  # joined in order
    for fields in (inline, {"text": TEXT, "reference_id": "narrator"}):
        samples, rate = audio_of(tts_json(server, fields))
        assert rate == RATE and len(samples) / rate > 0.3


@pytest.mark.parametrize("streaming", [False, True])
@pytest.mark.parametrize("fmt,rate", [("mp3", RATE), ("opus", 48000)])
def test_mp3_and_opus_decode_streamed_or_whole(server, fmt, rate, streaming):
    reply = tts_msgpack(server, fish_request(format=fmt, streaming=streaming,
                                             reference_id="narrator"), stream=streaming)
    assert reply.status_code == 200, reply.text[:500]
    heard_rate, seconds = decoded(reply.content)
    assert heard_rate == rate and seconds > 0.3


def test_streamed_wav_has_a_header_for_unknown_length_and_pcm_none(server):
    # temperature and seed are the request's, so the same request speaks the same audio
    fields = fish_request(reference_id="narrator", seed=7, streaming=True)
    with tts_msgpack(server, fields, stream=True) as reply:
        assert reply.status_code == 200
        body = b"".join(reply.iter_content(chunk_size=None))
    assert body[4:8] == b"\xff\xff\xff\xff" and body[40:44] == b"\xff\xff\xff\xff"
    samples, rate = sf.read(io.BytesIO(body), dtype="int16")
    assert rate == RATE and len(samples) / rate > 0.3
    for streaming in (True, False):
        pcm = tts_msgpack(server, {**fields, "format": "pcm", "streaming": streaming})
        assert pcm.status_code == 200 and pcm.content[:4] != b"RIFF"
        assert np.array_equal(np.frombuffer(pcm.content, dtype="<i2"), samples)


def test_references_are_added_listed_renamed_and_deleted(server, voices, clip):
    audio, text = clip
    added = requests.post(f"{server}/v1/references/add", data={"id": "my voice",
                          "text": text}, files={"audio": ("me.wav", audio, "audio/wav")},
                          timeout=SEC)
    assert added.headers["content-type"] == "application/msgpack"  # fish-speech's default
    assert msgpack.unpackb(added.content)["reference_id"] == "my voice"
    assert sorted(p.name for p in (voices / "my voice").iterdir()) == ["ref.lab", "ref.wav"]
    assert (voices / "my voice" / "ref.lab").read_text().strip() == text.strip()
    assert listed(server) == ["my voice", "narrator"]
    assert audio_of(tts_json(server, {"text": TEXT, "reference_id": "my voice"}))[1] == RATE

    renamed = requests.post(f"{server}/v1/references/update?format=json", timeout=SEC,
                            json={"old_reference_id": "my voice",
                                  "new_reference_id": "renamed"})
    assert renamed.status_code == 200 and renamed.json()["new_reference_id"] == "renamed"
    assert listed(server) == ["narrator", "renamed"]
    message = fish_error(tts_json(server, {"text": TEXT, "reference_id": "my voice"}), 404)
    assert "reference_id" in message and "my voice" in message

    deleted = requests.delete(f"{server}/v1/references/delete", timeout=SEC,
                              data=msgpack.packb({"reference_id": "renamed"}),
                              headers={"Content-Type": "application/msgpack"})
    assert deleted.status_code == 200 and msgpack.unpackb(deleted.content)["success"]
    assert listed(server) == ["narrator"]
    assert sorted(p.name for p in voices.iterdir()) == ["narrator"]  # no leftovers
    fish_error(requests.delete(f"{server}/v1/references/delete", timeout=SEC,
                               json={"reference_id": "renamed"}), 404)


def test_a_taken_id_is_a_conflict(server, clip):
    audio, text = clip
    for taken in ("narrator", "ben", "default"):  # a reference, a learned speaker, default
        reply = requests.post(f"{server}/v1/references/add", timeout=SEC,
                              data={"id": taken, "text": text}, files={"audio": audio})
        assert taken in fish_error(reply, 409)


@pytest.mark.parametrize("route,fields", [
    ("add", {"id": "../escaped", "text": "Hi."}),
    ("add", {"id": "a/b", "text": "Hi."}),
    ("add", {"id": "x" * 256, "text": "Hi."}),
    ("update", {"old_reference_id": "narrator", "new_reference_id": "../narrator"}),
    ("delete", {"reference_id": "../voices"}),
])
def test_reference_ids_that_are_not_one_folder_name_are_refused(server, voices, clip, route,
                                                                fields):
    before = sorted(p.name for p in voices.parent.rglob("*"))
    if route == "add":
        reply = requests.post(f"{server}/v1/references/add", data=fields, timeout=SEC,
                              files={"audio": ("a.wav", clip[0])})
    else:
        send = requests.delete if route == "delete" else requests.post
        reply = send(f"{server}/v1/references/{route}", json=fields, timeout=SEC)
    assert "not a reference id" in fish_error(reply, 400)
    assert sorted(p.name for p in voices.parent.rglob("*")) == before


def test_hostile_tts_requests_get_json_errors(server, clip, tmp_path):
    audio, text = clip
    packed = msgpack.packb(fish_request())
    for broken in (b"\xc1\x00not msgpack", packed[:-7], packed + b"\x00"):
        reply = requests.post(f"{server}/v1/tts", data=broken, timeout=SEC,
                              headers={"Content-Type": "application/msgpack"})
        assert "not valid msgpack" in fish_error(reply, 400)
    assert "not a map" in fish_error(tts_msgpack(server, ["text", TEXT]), 400)
    noise = np.random.default_rng(0).bytes(50_000)
    garbage = fish_request(references=[{"audio": noise, "text": text}])
    assert "references[0].audio" in fish_error(tts_msgpack(server, garbage), 400)
    not_base64 = {"text": TEXT, "references": [{"audio": "@@not base64@@", "text": text}]}
    assert "references.0.audio" in fish_error(tts_json(server, not_base64), 400)
    untold = fish_request(references=[{"audio": audio, "text": " "}])
    assert "references[0].text" in fish_error(tts_msgpack(server, untold), 400)
    unknown = fish_error(tts_msgpack(server, fish_request(reference_id="nobody")), 404)
    assert "reference_id" in unknown and "nobody" in unknown
    assert "volume" in fish_error(tts_msgpack(server, fish_request(
        prosody={"speed": 1.0, "volume": 6.0})), 400)
    assert "referenceid" in fish_error(tts_json(server, {"text": TEXT,
                                                         "referenceid": "narrator"}), 400)
    assert "temperature" in fish_error(tts_json(server, {"text": TEXT,
                                                         "temperature": 5}), 400)


def test_uploads_past_the_limits_are_refused(server, voices, tmp_path):
    long = io.BytesIO()
    sf.write(long, np.zeros(8000 * (UPLOAD_SECONDS + 2), dtype=np.float32), 8000,
             format="WAV")  # short in bytes, long in seconds
    inline = fish_request(references=[{"audio": long.getvalue(), "text": "Hi."}])
    assert "--max-upload-seconds" in fish_error(tts_msgpack(server, inline), 413)
    reply = requests.post(f"{server}/v1/references/add", data={"id": "long", "text": "Hi."},
                          files={"audio": ("long.wav", long.getvalue())}, timeout=SEC)
    assert "--max-upload-seconds" in fish_error(reply, 413)
    huge = fish_request(references=[{"audio": bytes(UPLOAD_LIMIT), "text": "Hi."}])
    assert "--max-upload-bytes" in fish_error(tts_msgpack(server, huge), 413)
    assert not (voices / "long").exists()


def test_the_server_serves_after_refusals(server):
    requests.post(f"{server}/v1/tts", data=b"\x93", timeout=SEC,
                  headers={"Content-Type": "application/msgpack"})
    for method in (requests.get, requests.post):
        assert method(f"{server}/v1/health", timeout=SEC).json() == {"status": "ok"}
    samples, rate = audio_of(tts_msgpack(server, fish_request()))  # the default voice
    assert rate == RATE and len(samples) / rate > 0.3


def test_without_voices_references_cannot_change(bare_server, clip):
    audio, text = clip
    replies = [
        requests.post(f"{bare_server}/v1/references/add", data={"id": "me", "text": text},
                      files={"audio": audio}, timeout=SEC),
        requests.post(f"{bare_server}/v1/references/update", timeout=SEC,
                      json={"old_reference_id": "a", "new_reference_id": "b"}),
        requests.delete(f"{bare_server}/v1/references/delete", json={"reference_id": "a"},
                        timeout=SEC),
    ]
    for reply in replies:
        assert "start it with --voices" in fish_error(reply, 400)
    assert listed(bare_server) == []
    inline = fish_request(references=[{"audio": audio, "text": text}], format="mp3")
    reply = tts_msgpack(bare_server, inline)
    assert reply.status_code == 200 and decoded(reply.content)[0] == RATE
