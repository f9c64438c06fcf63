"""`voxtune serve`'s limits on a real server: past the concurrency limit a request gets 429
with Retry-After at once; a request still queued at its time limit gets 504, a stream
running at its limit ends as a valid file and is counted; then the server serves again.
A server that would listen beyond loopback without an API key refuses to start."""

import io
import json
import re
import threading
import time

import pytest
import requests
import soundfile as sf

from tests.conftest import SENTENCES
from tests.serving import running_server
from voxtune.cli import main
from voxtune.serve.auth import is_loopback

LIMIT_S = 2.0
LONG_TEXT = " ".join(SENTENCES * 24)  # some 10 minutes of speech, never done in LIMIT_S


@pytest.fixture(scope="module")
def server(tiny_voice, tmp_path_factory):
    log = tmp_path_factory.mktemp("limits") / "server.log"
    with running_server(["--model", str(tiny_voice), "--asr", "none", "--threads", "1",
                         "--max-concurrent", "2", "--workers", "1", "--max-text-chars",
                         str(len(LONG_TEXT)),
                         "--request-seconds", str(LIMIT_S), "sampling.max_frames=600"],
                        log) as url:
        yield url


def speech(server: str, text: str, stream: bool = False) -> requests.Response:
    return requests.post(f"{server}/v1/audio/speech", timeout=60, stream=stream,
                         json={"model": "tts-1", "voice": "ben", "input": text,
                               "response_format": "wav"})


def test_busy_then_late_requests_are_refused_and_the_server_recovers(server):
    replies: dict[str, requests.Response] = {}
    bodies: dict[str, bytes] = {}

    def ask(name: str) -> None:
        replies[name] = speech(server, LONG_TEXT, stream=True)
        bodies[name] = replies[name].raw.read()  # to the end of the stream

    # Two long requests fill both places; the one worker takes either, so the other
    # waits in the queue past its time limit.
    askers = [threading.Thread(target=ask, args=(name,)) for name in ("x", "y")]
    for asker in askers:
        asker.start()
    time.sleep(1.0)
    busy = speech(server, "Hello.")
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
    assert busy.json()["error"]["code"] == "rate_limit_exceeded"
    for asker in askers:
        asker.join(timeout=60)
    statuses = sorted(reply.status_code for reply in replies.values())
    assert statuses == [200, 504]
    late = next(name for name, reply in replies.items() if reply.status_code == 504)
    assert "--request-seconds" in json.loads(bodies[late])["error"]["message"]
    served = next(name for name in replies if name != late)
    audio, rate = sf.read(io.BytesIO(bodies[served]))  # cut at the limit, still a WAV
    assert len(audio) / rate > 1.0

    deadline = time.monotonic() + 30
    while (reply := speech(server, "Hello.")).status_code == 429:
        assert time.monotonic() < deadline, "the places of ended requests were never freed"
        time.sleep(0.2)
    assert reply.status_code == 200 and len(reply.content) > 1000
    metrics = requests.get(f"{server}/metrics", timeout=10).text
    assert re.search(r'^voxtune_stream_failures_total\{route="/v1/audio/speech"\} 1\.0$',
                     metrics, re.MULTILINE)
    assert re.search(r'^voxtune_rejected_total\{limit="concurrency"\} [1-9]', metrics,
                     re.MULTILINE)
    assert re.search(r'^voxtune_in_flight 0\.0$', metrics, re.MULTILINE)


def test_listening_beyond_loopback_needs_an_api_key(capsys, monkeypatch):
    monkeypatch.delenv("VOXTUNE_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--model", "vox-base"]) == 2
    assert "needs an API key" in capsys.readouterr().err


def test_loopback_is_only_this_machine():
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.5", "example.org"]))
