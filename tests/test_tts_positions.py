"""Aligned positions: computed from the grid alone, the same in training and in decoding."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from voxtune.config import load_config
from voxtune.tts.checkpoint import load_tts
from voxtune.tts.config import BackboneConfig, TTSTrainConfig
from voxtune.tts.generate import SamplingConfig, generate
from voxtune.tts.layout import TokenLayout, delay
from voxtune.tts.model import VoxTTS, build_lm
from voxtune.tts.positions import SEGMENT_GAP, expected_steps, grid_positions
from voxtune.tts.train import train_tts

LAYOUT = dict(text_vocab=20, num_codebooks=2, codebook_size=8, speakers=["anna"])


def _sentence(layout: TokenLayout, text: list[int], frames: int | None) -> np.ndarray:
    grid = np.full((len(text) + 1, layout.num_codebooks), -1)
    grid[:, 0] = [*text, layout.audio_start]
    if frames is None:
        return grid
    codes = np.arange(frames * layout.num_codebooks).reshape(layout.num_codebooks, -1) % 8
    return np.concatenate([grid, layout.audio_ids(delay(codes, layout))])


def test_text_and_audio_positions_line_up_sentence_by_sentence():
    layout = TokenLayout(**LAYOUT, position_rate=0.5)
    speaker = np.array([[layout.speaker_id("anna"), -1]])
    first = _sentence(layout, [1, 2, 3], frames=6)  # 4 text rows, 6 + 2 audio steps
    second = _sentence(layout, [4, 5], frames=None)
    positions, base = grid_positions(np.concatenate([speaker, first, second]), layout)
    assert list(positions[:5]) == [0, 1, 2, 3, 4]  # speaker, text, <audio>
    assert list(positions[5:13]) == [0, 0, 1, 2, 2, 2, 3, 4]  # round(0.5 · t): half-even
    assert base == 5 + SEGMENT_GAP  # the longer of 5 text rows and 4 audio positions
    assert list(positions[13:]) == [base, base + 1, base + 2]
    plain = TokenLayout(**LAYOUT)
    assert list(grid_positions(first, plain)[0]) == list(range(len(first)))
    assert grid_positions(first, plain)[1] == len(first)


@pytest.mark.parametrize("compiled", [False, True])
def test_greedy_decoding_is_the_teacher_forced_argmax_at_aligned_positions(compiled,
                                                                           monkeypatch):
    torch.manual_seed(0)
    layout = TokenLayout(**LAYOUT, position_rate=0.6)
    backbone = BackboneConfig(hidden_size=32, layers=2, heads=2, kv_heads=1,
                              intermediate_size=64)
    model = VoxTTS(build_lm(backbone, layout.vocab_size), layout).eval()
    prompt = np.concatenate([_sentence(layout, [1, 2, 3, 4], frames=5),
                             _sentence(layout, [5, 6, 7], frames=None)])
    frames = 12
    if compiled:  # the static cache and compiled step's code, run eagerly on the CPU
        monkeypatch.setattr(torch, "compile", lambda step, **_: step)
    codes = generate(model, [prompt, prompt[2:]], SamplingConfig(
        temperature=0, repetition_penalty=1.0, max_frames=frames, min_frames=frames),
        compile=compiled)
    for grid, spoken in zip((prompt, prompt[2:]), codes, strict=True):
        steps = delay(spoken[:, :frames], layout)[:frames]
        full = np.concatenate([grid, layout.audio_ids(steps)])
        positions = torch.from_numpy(grid_positions(full, layout)[0])[None]
        with torch.no_grad():
            logits = model(torch.from_numpy(full)[None], position_ids=positions)[0]
        predicted = logits[len(grid) - 1:len(grid) - 1 + frames, :, :8].argmax(-1).numpy()
        for k in range(layout.num_codebooks):
            assert np.array_equal(predicted[k:, k], steps[k:, k])


def test_an_aligned_model_ends_each_output_within_its_texts_stretch():
    torch.manual_seed(0)
    layout = TokenLayout(**LAYOUT, position_rate=0.5)
    backbone = BackboneConfig(hidden_size=32, layers=2, heads=2, kv_heads=1,
                              intermediate_size=64)
    model = VoxTTS(build_lm(backbone, layout.vocab_size), layout).eval()
    short = _sentence(layout, [1, 2, 3], frames=None)  # 3 text rows + <audio>: 8 steps
    long = _sentence(layout, list(range(1, 11)), frames=None)  # 11 rows: 22 steps
    never_ends = SamplingConfig(temperature=0, max_frames=200, min_frames=200)
    assert [c.shape[1] for c in generate(model, [short, long], never_ends)] == [200, 200]
    bounded = replace(never_ends, min_frames=4, max_stretch=1.5)
    spoken = generate(model, [short, long], bounded)
    expected = [expected_steps(p, layout) for p in (short, long)]
    assert [c.shape[1] for c in spoken] == [
        math.ceil(1.5 * e) - layout.num_codebooks for e in expected]
    assert generate(model, [short], replace(bounded, max_stretch=0, max_frames=50))[0].shape[1] \
        == 50


def test_a_model_trained_with_aligned_positions_keeps_its_rate(tts_corpus, tmp_path):
    config = load_config(TTSTrainConfig, "tts-tiny", ["trainer.max_steps=2",
                                                      "backbone.aligned_positions=true"])
    result = train_tts(tts_corpus / "packed", tmp_path / "run", config, show_progress=False)
    layout = load_tts(result.checkpoint)[1].layout
    assert 0.2 < layout.position_rate < 2.0  # phonemes per 40 ms step, near one half
    again = train_tts(tts_corpus / "packed", tmp_path / "more", load_config(
        TTSTrainConfig, "tts-tiny", ["trainer.max_steps=2",
                                     f"backbone.pretrained={result.checkpoint}"]),
        show_progress=False)
    assert load_tts(again.checkpoint)[1].layout.position_rate == layout.position_rate
