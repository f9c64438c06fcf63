"""Shared test helpers: real speech made on the fly with espeak-ng."""

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from voxtune.codec.extract import extract
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.config import load_config
from voxtune.data.packed import pack

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "A large wooden table stood in the middle of the quiet kitchen.",
    "We walked along the beach until the sun went down behind the hills.",
    "Her brother repaired the old bicycle in less than an hour.",
    "The children laughed when the little dog chased its own tail.",
]


@pytest.fixture(scope="session")
def espeak() -> Callable[..., tuple[np.ndarray, int]]:
    """Synthesize English speech; returns (float32 mono samples, sample rate)."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing; run scripts/setup.sh")

    def say(text: str, voice: str = "en-us", speed: int = 160) -> tuple[np.ndarray, int]:
        wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                             check=True, capture_output=True).stdout
        import io

        samples, rate = sf.read(io.BytesIO(wav), dtype="float32")
        return samples, rate

    return say


@pytest.fixture(scope="session")
def long_recording(espeak, tmp_path_factory) -> tuple[Path, list[tuple[float, float, str]]]:
    """A recording of six sentences with pauses of 0.6–1.2 s; returns (path, true spans)."""
    rng = np.random.default_rng(1)
    parts, spans, cursor = [], [], 0
    rate = 22050
    for text in SENTENCES:
        samples, rate = espeak(text)
        voiced = np.flatnonzero(np.abs(samples) > 1e-3)
        samples = samples[voiced[0]:voiced[-1] + 1]
        pause = np.zeros(int(rng.uniform(0.6, 1.2) * rate), dtype=np.float32)
        parts += [pause, samples]
        start = cursor + len(pause)
        spans.append((start / rate, (start + len(samples)) / rate, text))
        cursor = start + len(samples)
    parts.append(np.zeros(int(0.8 * rate), dtype=np.float32))
    audio = np.concatenate(parts) * 0.5
    noise = np.random.default_rng(2).normal(0, 3e-4, audio.shape).astype(np.float32)
    path = tmp_path_factory.mktemp("long") / "speaker one" / "recording.flac"
    path.parent.mkdir(parents=True)
    sf.write(path, audio + noise, rate)
    return path, spans


# (speaker, stem, label text): two speakers, names with spaces and non-ASCII letters.
SEED_CLIPS = [
    ("alice", "a1", "The quick brown fox."),
    ("alice", "a2", "Jumps over the lazy dog."),
    ("alice", "clip 3", "Please call Stella."),
    ("zoë", "b1", "你好，世界。"),
    ("zoë", "bé 2", "Bring these things with her."),
    ("zoë", "b3", "A large wooden table."),
]


def speak(path: Path, text: str) -> Path:
    """Write espeak-ng speech of `text` to `path` (22050 Hz, 16-bit WAV)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def seed(tmp_path_factory) -> Path:
    """A fish-speech seeds folder: SEED/SPEAKER/stem.wav + stem.lab, six short clips."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing; run scripts/setup.sh")
    root = tmp_path_factory.mktemp("layouts") / "seed"
    for speaker, stem, text in SEED_CLIPS:
        speak(root / speaker / f"{stem}.wav", f"Sentence {stem}.")
        (root / speaker / f"{stem}.lab").write_text(text + "\n", encoding="utf-8")
    return root


def by_id(utterances):
    return {u.id: u for u in utterances}


def reasons(rejects):
    return sorted(r.reason for r in rejects)


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`, by relative path: proof a folder was not touched."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


TTS_VOICES = {"anna": "en-us+f2", "ben": "en-gb+m3"}


@pytest.fixture(scope="session")
def tts_corpus(espeak, tmp_path_factory):
    """Two espeak-ng voices × six sentences → tiny VoxCodec tokens → packed dataset."""
    root = tmp_path_factory.mktemp("tts")
    data = root / "data"
    for name, voice in TTS_VOICES.items():
        (data / name).mkdir(parents=True)
        for number, text in enumerate(SENTENCES):
            samples, rate = espeak(text, voice=voice)
            sf.write(data / name / f"s{number}.wav", samples, rate)
            (data / name / f"s{number}.lab").write_text(text)
    torch.manual_seed(0)
    codec = VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model))
    codec.save_pretrained(root / "codec")
    extract(data, str(root / "codec"), num_workers=0, show_progress=False)
    pack(data, root / "packed", sentences_per_record=6, show_progress=False)
    return root


ASR_VOICE = "en-us+m3"


@pytest.fixture(scope="session")
def asr_corpus(espeak, tmp_path_factory) -> Path:
    """Six espeak-ng sentences of one voice (22.05 kHz): clips/spk/sN.wav + sN.lab, and the
    same as Fun-ASR ChatML in chatml/dataset.jsonl."""
    from voxtune.data.convert import convert

    root = tmp_path_factory.mktemp("asr")
    (root / "clips" / "spk").mkdir(parents=True)
    for number, text in enumerate(SENTENCES):
        samples, rate = espeak(text, voice=ASR_VOICE)
        sf.write(root / "clips" / "spk" / f"s{number}.wav", samples, rate)
        (root / "clips" / "spk" / f"s{number}.lab").write_text(text)
    convert(root / "clips", root / "chatml", to="chatml")
    return root


@pytest.fixture(scope="session")
def asr_model(asr_corpus, tmp_path_factory):
    """The asr-tiny recognizer trained 150 steps on `asr_corpus` (about half a minute):
    it has learned the six sentences by heart."""
    from voxtune.asr.config import ASRTrainConfig
    from voxtune.asr.train import train_asr

    config = load_config(ASRTrainConfig, "asr-tiny", ["trainer.max_steps=150"])
    return train_asr(asr_corpus / "chatml" / "dataset.jsonl",
                     tmp_path_factory.mktemp("asr_run") / "run", config, show_progress=False)


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` run only where CUDA is available."""
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_voice(tts_corpus, tmp_path_factory) -> Path:
    """A merged voice folder as `voxtune clone` leaves one: a tts-tiny LM (one step of
    training, then one step of LoRA, merged) with its tiny codec inside; it speaks anna
    and ben, badly, which is all a server test needs."""
    from voxtune.tts.config import TTSTrainConfig
    from voxtune.tts.merge import merge
    from voxtune.tts.train import train_tts

    root = tmp_path_factory.mktemp("tiny_voice")
    base = train_tts(tts_corpus / "packed", root / "base", load_config(
        TTSTrainConfig, "tts-tiny", ["trainer.max_steps=1"]), show_progress=False)
    lora = train_tts(tts_corpus / "packed", root / "lora", load_config(
        TTSTrainConfig, "tts-tiny", [f"backbone.pretrained={base.checkpoint}",
                                     "lora.enabled=true", "trainer.max_steps=1"]),
        show_progress=False)
    return merge(lora.checkpoint, root / "tiny-voice", codec=tts_corpus / "codec")
