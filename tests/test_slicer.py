"""The slicer cuts where GPT-SoVITS's slicer cuts, and its cuts fall in pauses."""

import numpy as np
import pytest

from voxtune.audio.io import read_audio, to_mono
from voxtune.audio.slicer import SlicerConfig, level_for_slicing, slice_silence, split_long


def _noise_bursts(rate: int, layout: list[tuple[float, bool]]) -> np.ndarray:
    rng = np.random.default_rng(0)
    parts = [rng.normal(0, 0.1 if loud else 0.0, int(seconds * rate)) for seconds, loud in layout]
    return np.concatenate(parts).astype(np.float32)


def test_cut_positions_follow_gpt_sovits_semantics():
    # 4 s sound, 1 s silence, 4 s sound at 16 kHz; hop 10 ms = 160 samples, window 640.
    # Frames 402..498 are silent (their whole window is inside the pause). The silence is
    # 97 frames: longer than max_sil_kept (50) but not twice it, so the removed range is
    # (min(first quietest, middle quietest), max(last-window quietest, middle quietest))
    # = frames (402, 449): the first clip ends at 402 * 160, the second starts at 449 * 160.
    rate = 16000
    audio = _noise_bursts(rate, [(4, True), (1, False), (4, True)])
    config = SlicerConfig(threshold=-40, min_length=3000, min_interval=300, hop_size=10,
                          max_sil_kept=500)
    assert slice_silence(audio, rate, config) == [(0, 402 * 160), (449 * 160, 9 * rate)]


def test_short_pause_is_not_a_cut_before_min_length():
    rate = 16000
    audio = _noise_bursts(rate, [(1, True), (0.5, False), (1, True)])
    config = SlicerConfig(threshold=-40, min_length=3000, min_interval=300, hop_size=10,
                          max_sil_kept=500)
    spans = slice_silence(audio, rate, config)
    assert len(spans) == 1


def test_rejects_inconsistent_parameters():
    with pytest.raises(ValueError, match="min_length >= min_interval"):
        slice_silence(np.zeros(16000), 16000, SlicerConfig(min_length=100, min_interval=300))


def test_cuts_fall_in_the_pauses_of_real_speech(long_recording):
    path, truth = long_recording
    audio, rate = read_audio(path)
    spans = slice_silence(to_mono(audio), rate, SlicerConfig(min_length=1000))
    assert len(spans) >= 3
    for start, end in spans:
        for s_start, s_end, _ in truth:
            # no sentence is cut: each lies wholly inside or wholly outside each clip
            inside = start / rate <= s_start + 0.02 and s_end - 0.02 <= end / rate
            outside = s_end <= start / rate + 0.02 or end / rate <= s_start + 0.02
            assert inside or outside, (start / rate, end / rate, s_start, s_end)


def test_split_long_bounds_every_piece(long_recording):
    path, _ = long_recording
    audio, rate = read_audio(path)
    mono = to_mono(audio)
    pieces = split_long(mono, rate, (0, mono.shape[0]), max_duration=6.0, min_duration=1.0,
                        hop=round(rate * 0.01))
    assert len(pieces) > 1
    assert pieces[0][0] == 0 and pieces[-1][1] == mono.shape[0]
    assert all(b[0] == a[1] for a, b in zip(pieces, pieces[1:], strict=False))
    assert all(1.0 * rate <= end - start <= 6.0 * rate for start, end in pieces)


def test_loudness_reference_makes_cuts_independent_of_level(long_recording):
    path, _ = long_recording
    audio, rate = read_audio(path)
    mono = to_mono(audio)
    config = SlicerConfig(min_length=1000)
    loud = slice_silence(level_for_slicing(mono, rate, config), rate, config)
    quiet = mono * 10 ** (-30 / 20)
    assert slice_silence(level_for_slicing(quiet, rate, config), rate, config) == loud
    raw = SlicerConfig(min_length=1000, level_reference="full_scale")
    assert np.array_equal(level_for_slicing(quiet, rate, raw), quiet)
    assert slice_silence(quiet, rate, raw) != loud  # GPT-SoVITS's own cuts move with level
