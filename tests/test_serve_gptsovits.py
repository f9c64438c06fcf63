"""`voxtune serve` as GPT-SoVITS's api_v2: a real server process on loopback, driven with
plain HTTP. `/tts` by GET and POST speaks wav, raw, ogg and aac in every streaming mode;
text splits by GPT-SoVITS's cut methods; the voice and the model are chosen only among what
lives in the voices folder, and paths that leave it, pickles and unknown names are refused
in api_v2's JSON shape while the server goes on serving."""

import io
import os
import pickle
import shutil

import numpy as np
import pytest
import requests
import soundfile as sf

from tests.serving import running_server
from tests.test_serve_openai import decoded
from voxtune.serve.errors import ServeError
from voxtune.serve.gptsovits import split_method
from voxtune.text import split_text

RATE = 16000  # the tiny codec's
UPLOAD_LIMIT = 200_000
TEXT = "Hello there. How are you?"
FORMAT_RATES = {"wav": RATE, "ogg": 48000, "aac": RATE}  # ogg is Opus, always 48 kHz
SEC = 60  # a bound on every request's wait


class Trap:
    """Unpickled, it makes the folder `path`: proof that a checkpoint was loaded."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


@pytest.fixture(scope="module")
def layout(tts_corpus, tiny_voice, tmp_path_factory):
    """The voices folder: the merged voice (`tiny-voice/`), a reference id (`narrator/`), a
    clip by path (`clips/ben.wav`), a link to a clip outside (`escape.wav`), pickles that
    would leave a mark if loaded (`evil/`, and `stolen.ckpt` outside), and a link to a
    folder outside (`linked/`)."""
    root = tmp_path_factory.mktemp("gptsovits")
    voices, data = root / "voices", tts_corpus / "data"
    shutil.copytree(tiny_voice, voices / "tiny-voice")
    for target, source in [("narrator/ref", "anna/s0"), ("clips/ben", "ben/s1"),
                           ("../secret", "ben/s2")]:
        (voices / target).parent.mkdir(parents=True, exist_ok=True)
        for suffix in (".wav", ".lab"):
            shutil.copyfile((data / source).with_suffix(suffix),
                            (voices / target).with_suffix(suffix))
    for suffix in (".wav", ".lab"):
        (voices / f"escape{suffix}").symlink_to(root / f"secret{suffix}")
    trap = pickle.dumps(Trap(str(root / "loaded")))
    (voices / "evil").mkdir()
    for name in ("model.ckpt", "model.pth"):
        (voices / "evil" / name).write_bytes(trap)
    (root / "stolen.ckpt").write_bytes(trap)
    (root / "outside").mkdir()
    (root / "outside" / "model.safetensors").write_bytes(trap)
    (voices / "linked").symlink_to(root / "outside")
    return root


@pytest.fixture(scope="module")
def server(layout):
    with running_server(["--voices", str(layout / "voices"), "--asr", "none", "--threads",
                         "1", "--max-upload-bytes", str(UPLOAD_LIMIT),
                         "sampling.max_frames=30"], layout / "server.log") as url:
        yield url


def tts(server: str, method: str = "POST", **fields) -> requests.Response:
    fields = {"text": TEXT, "text_lang": "en", "ref_audio_path": "ben", "seed": 1, **fields}
    if method == "GET":
        return requests.get(f"{server}/tts", params=fields, timeout=SEC)
    return requests.post(f"{server}/tts", json=fields, timeout=SEC)


def refused(reply: requests.Response, status: int) -> dict:
    """api_v2's error body, checked for shape and status."""
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"message", "Exception"} and "Traceback" not in reply.text
    return body


@pytest.mark.parametrize(("method", "expected"), [
    ("cut0", ["It was late. The rain had stopped! Was anyone there? We waited by the door. "
              "Then we left, slowly. 今天很冷。我们回家吧。"]),
    ("cut1", ["It was late. The rain had stopped! Was anyone there? We waited by the door.",
              "Then we left, slowly. 今天很冷。我们回家吧。"]),
    ("cut2", ["It was late. The rain had stopped!", "Was anyone there? We waited by the door.",
              "Then we left, slowly. 今天很冷。我们回家吧。"]),
    ("cut3", ["It was late. The rain had stopped! Was anyone there? We waited by the door. "
              "Then we left, slowly. 今天很冷。", "我们回家吧。"]),
    ("cut4", ["It was late.", "The rain had stopped! Was anyone there? We waited by the door.",
              "Then we left, slowly.", "今天很冷。我们回家吧。"]),
    ("cut5", ["It was late.", "The rain had stopped!", "Was anyone there?",
              "We waited by the door.", "Then we left,", "slowly.", "今天很冷。我们回家吧。"]),
])
def test_cut_methods_keep_gpt_sovits_meanings(method, expected):
    """cut0 none, cut1 every 4 sentences, cut2 up to 50 characters, cut3 at 。, cut4 at
    English periods, cut5 at every punctuation mark (short pieces join a neighbour)."""
    text = ("It was late. The rain had stopped! Was anyone there? We waited by the door. "
            "Then we left, slowly. 今天很冷。我们回家吧。")
    assert split_text(text, split_method(method), max_chars=50) == expected


def test_an_unknown_cut_method_is_refused():
    with pytest.raises(ServeError) as caught:
        split_method("length")
    assert caught.value.status_code == 400 and caught.value.param == "text_split_method"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("mode", [0, 1, 2, 3])
def test_every_format_decodes_in_every_streaming_mode(server, method, mode):
    for fmt, rate in FORMAT_RATES.items():
        reply = tts(server, method, media_type=fmt, streaming_mode=mode)
        assert reply.status_code == 200, reply.text
        assert reply.headers["content-type"] == f"audio/{fmt}"
        heard_rate, seconds = decoded(reply.content)
        assert heard_rate == rate and seconds > 0.2
    audio, rate = sf.read(io.BytesIO(tts(server, method, streaming_mode=mode).content))
    assert rate == RATE and len(audio) / rate > 0.2 and np.abs(audio).max() > 0


def test_a_whole_wav_has_exact_sizes_and_a_streamed_one_unknown_length(server):
    whole = tts(server, "GET", streaming_mode="false").content
    streamed = tts(server, "GET", streaming_mode="true").content
    assert whole[4:8] != b"\xff\xff\xff\xff" and streamed[4:8] == b"\xff\xff\xff\xff"
    assert sf.read(io.BytesIO(whole))[0].shape == sf.read(io.BytesIO(streamed))[0].shape


def test_raw_is_the_wavs_16_bit_pcm_at_the_models_rate(server):
    raw = tts(server, media_type="raw")
    streamed = tts(server, media_type="wav", streaming_mode=2).content
    wav, rate = sf.read(io.BytesIO(streamed), dtype="int16")
    assert raw.headers["content-type"] == "audio/raw" and len(raw.content) % 2 == 0
    assert rate == RATE and np.array_equal(np.frombuffer(raw.content, "<i2"), wav)


def test_text_split_method_cuts_what_is_spoken(server):
    """Each piece is spoken alone (the tiny model speaks up to 30 frames a piece) and the
    pieces are joined with pauses: three sentences are one piece with cut0 and cut1, three
    with cut5."""
    text = "The rain had stopped. Was anyone there? We waited by the door."
    seconds = {cut: decoded(tts(server, text=text, text_split_method=cut).content)[1]
               for cut in ("cut0", "cut1", "cut5")}
    assert seconds["cut0"] == pytest.approx(seconds["cut1"], abs=0.01)
    assert seconds["cut5"] > 2 * seconds["cut0"]


@pytest.mark.parametrize(("voice", "status", "kind"), [
    ("../secret.wav", 400, "voice_path_refused"),
    ("../missing.wav", 400, "voice_path_refused"),  # the same answer: no existence oracle
    ("clips/../../secret.wav", 400, "voice_path_refused"),
    ("{root}/secret.wav", 400, "voice_path_refused"),  # absolute, to a clip with its .lab
    ("escape.wav", 400, "voice_path_refused"),  # a link inside, to that clip outside
    ("nobody", 404, "voice_not_found"),  # never the default voice
    ("clips/nobody.wav", 404, "voice_not_found"),
])
def test_voices_outside_the_folder_or_unknown_are_refused(server, layout, voice, status,
                                                          kind):
    body = refused(tts(server, ref_audio_path=voice.format(root=layout)), status)
    assert body["Exception"] == kind and body["message"].startswith("ref_audio_path: ")


@pytest.mark.parametrize(("fields", "field"), [
    ({"text_lang": "ja"}, "text_lang"),
    ({"ref_audio_path": "narrator", "prompt_lang": "zh"}, "prompt_lang"),
    ({"text_split_method": "cut9"}, "text_split_method"),
    ({"media_type": "mp3"}, "media_type"),
    ({"streaming_mode": 7}, "streaming_mode"),
    ({"speed_factor": 3.0}, "speed_factor"),
    ({"aux_ref_audio_paths": ["clips/ben.wav"]}, "aux_ref_audio_paths"),
    ({"super_sampling": True}, "super_sampling"),
    ({"refer_wav_path": "ben"}, "refer_wav_path"),  # api.py's field, not api_v2's
    ({"text": "word " * 1000}, "text"),  # past --max-text-chars
])
def test_fields_that_cannot_be_honoured_are_refused_by_name(server, fields, field):
    assert field in refused(tts(server, **fields), 400)["message"]


def test_ignored_knobs_and_a_prompt_text_are_accepted(server):
    reply = tts(server, "GET", ref_audio_path="narrator", prompt_text="Hello there.",
                prompt_lang="EN", batch_size=4, split_bucket="false", parallel_infer="true",
                fragment_interval=0.5, sample_steps=8, overlap_length=4,
                min_chunk_length=8, return_fragment="true", seed=-1, top_k=5, top_p=0.8,
                temperature=0.9, repetition_penalty=1.35, speed_factor=1.5)
    assert reply.status_code == 200, reply.text
    assert decoded(reply.content)[1] > 0.1


def test_bodies_past_the_upload_limit_get_413(server):
    reply = requests.post(f"{server}/tts", json={"text": "a" * UPLOAD_LIMIT, "text_lang": "en"},
                          timeout=SEC)
    assert "--max-upload-bytes" in refused(reply, 413)["message"]


def test_a_reference_set_once_speaks_requests_that_name_none(server):
    assert "ref_audio_path" in refused(tts(server, ref_audio_path=None), 400)["message"]
    assert refused(requests.get(f"{server}/set_refer_audio",
                                params={"refer_audio_path": "../secret.wav"}, timeout=SEC),
                   400)["message"].startswith("refer_audio_path: ")
    assert refused(requests.get(f"{server}/set_refer_audio",
                                params={"refer_audio_path": "nobody"}, timeout=SEC), 404)
    chosen = requests.get(f"{server}/set_refer_audio", params={"refer_audio_path": "narrator"},
                          timeout=SEC)
    assert chosen.status_code == 200 and chosen.json() == {"message": "success"}
    reply = tts(server, ref_audio_path=None)
    assert reply.status_code == 200 and decoded(reply.content)[1] > 0.1


@pytest.mark.parametrize(("route", "path", "status"), [
    ("set_gpt_weights", "{root}/stolen.ckpt", 400),  # absolute, outside
    ("set_gpt_weights", "../stolen.ckpt", 400),
    ("set_gpt_weights", "evil/model.ckpt", 400),  # inside, but a pickle
    ("set_sovits_weights", "evil/model.pth", 400),
    ("set_gpt_weights", "linked/model.safetensors", 400),  # a link to a folder outside
    ("set_gpt_weights", "evil", 404),  # not a voice folder
    ("set_sovits_weights", "tiny-voice/voxtts.yaml", 404),
    ("set_gpt_weights", "", 400),
])
def test_weights_outside_the_voices_or_pickled_are_refused_unopened(server, layout, route,
                                                                    path, status):
    reply = requests.get(f"{server}/{route}", params={"weights_path": path.format(root=layout)},
                         timeout=SEC)
    assert "weights_path" in refused(reply, status)["message"]
    assert not (layout / "loaded").exists()


@pytest.mark.parametrize(("route", "path"), [
    ("set_gpt_weights", "tiny-voice"), ("set_gpt_weights", "tiny-voice/model.safetensors"),
    ("set_sovits_weights", "tiny-voice/codec/model.safetensors")])
def test_weights_select_a_voice_folder_loaded_at_start(server, route, path):
    reply = requests.get(f"{server}/{route}", params={"weights_path": path}, timeout=SEC)
    assert reply.status_code == 200 and reply.json() == {"message": "success"}
    assert tts(server, ref_audio_path="anna").status_code == 200


def test_there_is_no_control_route_and_the_server_serves_on(server):
    for call in (requests.get, requests.post):
        assert call(f"{server}/control", params={"command": "exit"},
                    timeout=SEC).status_code == 404
    assert requests.get(f"{server}/health", timeout=SEC).json() == {"status": "ok"}
    reply = tts(server, "GET", ref_audio_path="clips/ben.wav", media_type="ogg")
    assert reply.status_code == 200 and decoded(reply.content)[0] == 48000
