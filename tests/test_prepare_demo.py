"""Preparing the demo corpus's long recordings, whose sentence spans are known exactly."""

import json
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from voxtune.audio.io import read_audio, to_mono
from voxtune.config import load_config
from voxtune.data.prepare import prepare
from voxtune.data.prepare_config import PrepareConfig
from voxtune.demo import demo_data


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    demo_data(root / "corpus", speakers=3, minutes=1.0, seed=7, mandarin=False, clips=False,
              show_progress=False)
    config = load_config(PrepareConfig, None, ["asr.backend=none", "gate.require_text=false"])
    result = prepare(root / "corpus" / "long", root / "out", config, num_workers=2,
                     show_progress=False)
    truth = [json.loads(line) for line in (root / "corpus/long/truth.jsonl").open()]
    return result, truth, root / "corpus" / "long"


def test_every_cut_falls_in_a_pause(prepared):
    """At each clip edge the source is at least 25 dB below its loud speech frames."""
    result, _, long_dir = prepared
    assert len(result.clips) > 20
    for source in {clip.source for clip in result.clips}:
        audio, rate = read_audio(Path(source))
        mono = to_mono(audio)
        frames = np.sqrt(np.convolve(mono**2, np.ones(int(0.03 * rate)) / int(0.03 * rate),
                                     mode="same"))
        speech = np.percentile(frames, 95)
        for clip in (c for c in result.clips if c.source == source):
            for edge in (clip.source_start, clip.source_end):
                index = min(int(edge * rate), len(frames) - 1)
                assert 20 * np.log10(frames[index] / speech + 1e-12) < -25, (clip.id, edge)


def test_most_sentences_stay_whole(prepared):
    """Cuts come at sentence ends, except at the odd long comma pause inside a sentence."""
    result, truth, long_dir = prepared
    kept = {Path(c.source).relative_to(long_dir).as_posix() for c in result.clips}
    sentences = [t for t in truth if t["recording"] in kept]
    whole = sum(any(c.source_start <= t["start"] + 0.02 and t["end"] - 0.02 <= c.source_end
                    for c in result.clips) for t in sentences)
    assert whole >= 0.9 * len(sentences)


def test_clips_are_within_bounds_and_at_target_loudness(prepared):
    result, _, _ = prepared
    for clip in result.clips:
        samples, rate = sf.read(result.out / clip.audio)
        assert 1.0 <= clip.duration <= 10.0 + 1e-6
        loudness = pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64))
        assert abs(loudness + 23.0) < 0.5, clip.id


def test_the_noisy_recording_is_set_aside_for_snr(prepared):
    result, _, _ = prepared
    low_snr = [r for r in result.rejects if r.reason == "low_snr"]
    assert low_snr and all("rec00" in r.id for r in low_snr)
    assert all("gate.min_snr_db" in r.message for r in low_snr)
