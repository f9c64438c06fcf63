"""TransformersCodec and load_codec on tiny random Mimi, DAC and EnCodec models (offline, fast)."""

import json
import math
import re

import pytest
import torch
from transformers import DacConfig, EncodecConfig, MimiConfig

from voxtune.codec import Codec, TransformersCodec, load_codec
from voxtune.errors import InputError

FAMILIES = ["mimi", "dac", "encodec"]


def tiny_config(family: str):
    """8 kHz configs small enough that a model builds and runs in milliseconds."""
    if family == "mimi":  # hop 4·4·2 = 32 samples
        return MimiConfig(sampling_rate=8000, hidden_size=32, num_filters=4,
                          upsampling_ratios=[4, 4], num_hidden_layers=1, intermediate_size=32,
                          num_attention_heads=2, num_key_value_heads=2, codebook_size=16,
                          codebook_dim=8, vector_quantization_hidden_dimension=8, num_quantizers=4,
                          upsample_groups=32, sliding_window=16, max_position_embeddings=256)
    if family == "dac":  # hop 2·4 = 8 samples
        return DacConfig(encoder_hidden_size=4, downsampling_ratios=[2, 4], decoder_hidden_size=16,
                         n_codebooks=3, codebook_size=16, codebook_dim=4, sampling_rate=8000)
    # hop 4·2 = 8 samples; 16 kbps at 1000 frames/s × 4 bits = 4 codebooks
    return EncodecConfig(sampling_rate=8000, hidden_size=16, num_filters=4,
                         upsampling_ratios=[4, 2], num_lstm_layers=1, codebook_size=16,
                         target_bandwidths=[8.0, 16.0])


@pytest.fixture(params=FAMILIES)
def codec(request) -> TransformersCodec:
    torch.manual_seed(0)
    return TransformersCodec.from_config(tiny_config(request.param))


def noise(lengths: list[int], seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """A [batch, max(lengths)] batch of noise with garbage (not zeros) past each length."""
    generator = torch.Generator().manual_seed(seed)
    wavs = 0.3 * torch.randn(len(lengths), max(lengths), generator=generator)
    return wavs, torch.tensor(lengths)


def test_attributes(codec):
    assert isinstance(codec, Codec)
    assert re.fullmatch(rf"transformers:{codec.family}:[0-9a-f]{{12}}", codec.codec_id)
    assert codec.sample_rate == 8000
    assert codec.frame_rate == pytest.approx(codec.sample_rate / codec.hop_length)
    assert (codec.num_codebooks, codec.codebook_size) == ({"mimi": 4, "dac": 3, "encodec": 4}
                                                         [codec.family], 16)
    hop = codec.hop_length
    assert [codec.frames_for(n) for n in (1, hop, hop + 1, 10 * hop)] == [1, 1, 2, 10]


def test_round_trip_shapes_and_lengths(codec):
    lengths = [1000, 437, 1]
    wavs, lens = noise(lengths)
    codes, frames = codec.encode(wavs, lens)
    expected = [codec.frames_for(n) for n in lengths]
    assert frames.tolist() == expected
    assert codes.dtype == torch.int64
    assert codes.shape == (3, codec.num_codebooks, max(expected))
    for item, n in enumerate(expected):
        valid = codes[item, :, :n]
        assert valid.min() >= 0 and valid.max() < codec.codebook_size

    audio, samples = codec.decode(codes, frames)
    assert audio.dtype == torch.float32
    assert samples.tolist() == [n * codec.hop_length for n in expected]
    assert all(s >= n for s, n in zip(samples.tolist(), lengths, strict=True))
    assert audio.shape == (3, max(samples.tolist()))
    for item, s in enumerate(samples.tolist()):
        assert torch.all(audio[item, s:] == 0)
    assert torch.isfinite(audio).all()


def dac_right_context_frames(config: DacConfig) -> int:
    """Frames at the end of an item that can see past it through DAC's non-causal encoder.

    In samples: the first conv (kernel 7) sees 3 ahead; each block's residual units (kernel 7,
    dilations 1, 3, 9) see 3 + 9 + 27 steps and its strided conv ceil(stride/2) more, at its
    input's step in samples; the last conv (kernel 3) sees one frame ahead.
    """
    ahead, step = 3, 1
    for stride in config.downsampling_ratios:
        ahead += (39 + math.ceil(stride / 2)) * step
        step *= stride
    ahead += config.hop_length
    return math.ceil(ahead / config.hop_length) + 1


def test_batch_codes_match_single_item_codes(codec):
    lengths = [1000, 437, 1, 31]
    wavs, lens = noise(lengths, seed=2)
    codes, frames = codec.encode(wavs, lens)
    for item, n in enumerate(lengths):
        alone, alone_frames = codec.encode(wavs[item : item + 1, :n], lens[item : item + 1])
        count = int(alone_frames[0])
        assert count == int(frames[item])
        # Mimi and EnCodec are causal: padding after an item cannot reach its frames. DAC's
        # convolutions look ahead, so in a batch its last frames see the padding's activations
        # (not the zeros each layer pads with when alone) and may differ; only the frames out of
        # reach of the end are guaranteed equal, and items shorter than that reach guarantee none.
        if codec.family == "dac":
            count -= dac_right_context_frames(codec.model.config)
        if count > 0:
            assert torch.equal(alone[0, :, :count], codes[item, :, :count]), f"item {item}"


def test_decode_ignores_codes_past_lengths(codec):
    wavs, lens = noise([600, 200])
    codes, frames = codec.encode(wavs, lens)
    padded = codes.clone()
    padded[1, :, int(frames[1]):] = -100  # what a collator would put there
    audio, samples = codec.decode(codes, frames)
    audio_padded, samples_padded = codec.decode(padded, frames)
    assert torch.equal(samples, samples_padded)
    assert torch.equal(audio[0], audio_padded[0])
    with pytest.raises(ValueError, match="codes must be in"):
        codec.decode(padded, torch.tensor([frames[0], frames[0]]))


def test_save_and_load_codec(codec, tmp_path):
    wavs, lens = noise([700, 333])
    codec.save_pretrained(str(tmp_path))
    loaded = load_codec(str(tmp_path))
    assert isinstance(loaded, TransformersCodec)
    assert loaded.codec_id == codec.codec_id
    assert torch.equal(loaded.encode(wavs, lens)[0], codec.encode(wavs, lens)[0])


def test_codec_id_changes_with_weights():
    torch.manual_seed(0)
    first = TransformersCodec.from_config(tiny_config("dac"))
    torch.manual_seed(1)
    second = TransformersCodec.from_config(tiny_config("dac"))
    assert first.codec_id != second.codec_id


def test_unsupported_model_type_names_the_folder(tmp_path):
    folder = tmp_path / "not_a_codec"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InputError, match=r"not_a_codec.*'bert'.*dac, encodec, mimi"):
        load_codec(str(folder))


def test_folder_without_config_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=str(tmp_path)):
        load_codec(str(tmp_path))


def test_chunked_encodec_is_refused():
    config = EncodecConfig(sampling_rate=8000, hidden_size=16, num_filters=4,
                           upsampling_ratios=[4, 2], num_lstm_layers=1, codebook_size=16,
                           target_bandwidths=[16.0], chunk_length_s=1.0, overlap=0.01,
                           normalize=True)
    with pytest.raises(InputError, match="chunk"):
        TransformersCodec.from_config(config)
