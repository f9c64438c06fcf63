"""Audio that streams while it is generated: generation reports frames that never change,
chunked decoding joins sample for sample with decoding whole pieces, and the synthesizer's
stream is the file `voxtune synthesize` writes, delivered in pieces."""

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import SENTENCES
from voxtune.codec import load_codec
from voxtune.codec.chunked import ChunkedDecoder, decode_frames
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.config import load_config
from voxtune.tts.generate import SamplingConfig, generate, generate_stream
from voxtune.tts.synthesize import Synthesizer

SAMPLING = SamplingConfig(seed=3, max_frames=60)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models step faster on one thread than on two busy ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def synthesizer(tiny_voice):
    return Synthesizer(tiny_voice, device="cpu")


def fed_in_steps(codec, codes: np.ndarray, step: int) -> list[np.ndarray]:
    decoder, frames = ChunkedDecoder(codec), codes.shape[1]
    return [decoder.feed(codes[:, :min(n, frames)], final=n >= frames)
            for n in range(step, frames + step, step)]


@pytest.mark.parametrize("codec_name", ["tiny", "vox-base"])
def test_chunked_decoding_joins_exactly(codec_name):
    torch.manual_seed(0)
    codec = (VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model))
             if codec_name == "tiny" else load_codec("vox-base"))
    codes = np.random.default_rng(0).integers(0, codec.codebook_size,
                                              (codec.num_codebooks, 60))
    whole = decode_frames(codec, codes)
    for step in (3, 8, 25):
        chunks = fed_in_steps(codec, codes, step)
        assert sum(len(c) > 0 for c in chunks) > 1  # audio came before the end
        np.testing.assert_allclose(np.concatenate(chunks), whole, atol=1e-5)


def test_less_context_than_the_receptive_field_leaves_seams():
    torch.manual_seed(0)
    codec = VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model))
    codes = np.random.default_rng(0).integers(0, codec.codebook_size,
                                              (codec.num_codebooks, 77))
    codec.decode_context -= 1
    chunks = fed_in_steps(codec, codes, 8)
    assert np.abs(np.concatenate(chunks) - decode_frames(codec, codes)).max() > 1e-6


def test_generation_reports_frames_that_never_change(synthesizer):
    speech = synthesizer.stream(SENTENCES[0] + " " + SENTENCES[1], speaker="anna",
                                split="en_period", sampling=SAMPLING)
    final = generate(synthesizer.tts, speech.prompts, SAMPLING)
    reports = list(generate_stream(synthesizer.tts, speech.prompts, SAMPLING))
    assert len(reports) > 2 and all(reports[-1].ended)
    for report in reports:
        for codes, ended, done in zip(report.codes, report.ended, final, strict=True):
            assert np.array_equal(codes, done[:, :codes.shape[1]])
            assert not ended or codes.shape == done.shape


def test_the_stream_is_the_file_synthesize_writes_in_chunks(synthesizer, tmp_path):
    text = SENTENCES[0] + " " + SENTENCES[1]
    speech = synthesizer.stream(text, speaker="ben", split="en_period", sampling=SAMPLING)
    chunks = list(speech)
    written = synthesizer.speak(text, tmp_path / "a.wav", speaker="ben", split="en_period",
                                sampling=SAMPLING)
    audio, rate = sf.read(tmp_path / "a.wav", dtype="float32")
    assert len(chunks) > len(speech.pieces) + 1  # more chunks than pieces and pauses
    assert speech.frames == written.frames and len(speech.frames) == 2
    np.testing.assert_allclose(np.concatenate(chunks), audio, atol=1.5 / 32768)
    assert rate == synthesizer.sample_rate and written.first_audio_s < written.wall_s


def test_a_speed_change_streams_whole_pieces(synthesizer):
    text = SENTENCES[0] + " " + SENTENCES[1]
    normal = list(synthesizer.stream(text, speaker="ben", split="en_period",
                                     sampling=SAMPLING))
    faster = list(synthesizer.stream(text, speaker="ben", split="en_period", speed=1.25,
                                     sampling=SAMPLING))
    assert len(faster) == 3  # piece, pause, piece
    ratio = sum(map(len, faster)) / sum(map(len, normal))
    assert ratio == pytest.approx(1 / 1.25, abs=0.03)
