"""On a CUDA device: codec training in bf16 and extraction (skipped without CUDA)."""

import numpy as np
import pytest
import torch

from voxtune.codec import load_codec
from voxtune.codec.voxcodec import CodecTrainConfig
from voxtune.codec.voxcodec.train import train_codec
from voxtune.config import load_config
from voxtune.train.logs import read_run_log

pytestmark = pytest.mark.gpu


def test_codec_trains_in_bf16_on_the_gpu_and_encodes_there(seed, tmp_path):
    config = load_config(CodecTrainConfig, "codec-tiny", [
        "trainer.device=cuda", "trainer.precision=bf16", "trainer.max_steps=60",
        "trainer.save_every=60"])
    result = train_codec(seed, tmp_path / "run", config, show_progress=False)
    mel = [row["train/mel"] for row in read_run_log(tmp_path / "run") if "train/mel" in row]
    assert np.isfinite(mel).all() and np.mean(mel[-2:]) < 0.8 * mel[0]
    codec = load_codec(str(result.checkpoint), device="cuda")
    wavs = torch.randn(3, 16000, device="cuda") * 0.1
    codes, frames = codec.encode(wavs, torch.tensor([16000, 12000, 640], device="cuda"))
    assert codes.device.type == "cuda" and codes.shape == (3, 2, 25)
    assert frames.tolist() == [25, 19, 1]
    cpu = load_codec(str(result.checkpoint)).encode(wavs.cpu(), torch.tensor([16000] * 3))[0]
    assert (codes.cpu() == cpu).float().mean() > 0.99  # float rounding may flip a rare code


def test_compiled_static_cache_decoding_matches_eager_on_the_gpu():
    from voxtune.tts.config import BackboneConfig
    from voxtune.tts.generate import SamplingConfig, generate
    from voxtune.tts.layout import TokenLayout
    from voxtune.tts.model import VoxTTS, build_lm

    torch.manual_seed(0)
    layout = TokenLayout(text_vocab=50, num_codebooks=3, codebook_size=20)
    backbone = BackboneConfig(hidden_size=64, layers=2, heads=4, kv_heads=2,
                              intermediate_size=128)
    model = VoxTTS(build_lm(backbone, layout.vocab_size), layout).cuda().eval()
    prompt = np.full((6, 3), -1)
    prompt[:, 0] = [1, 2, 3, 4, 5, layout.audio_start]
    greedy = SamplingConfig(temperature=0, max_frames=40, min_frames=40)
    eager = generate(model, [prompt, prompt], greedy)
    compiled = generate(model, [prompt, prompt], greedy, compile=True)
    assert all(np.mean(a == b) > 0.95 for a, b in zip(eager, compiled, strict=True))


def test_compiled_tts_training_follows_the_eager_loss_curve(tts_corpus, tmp_path):
    from voxtune.tts.config import TTSTrainConfig
    from voxtune.tts.train import train_tts

    losses = {}
    torch.backends.cuda.enable_cudnn_sdp(True)
    for compiled in ("false", "true"):
        config = load_config(TTSTrainConfig, "tts-tiny", [
            "trainer.device=cuda", "trainer.max_steps=10", "trainer.log_every=5",
            f"trainer.compile={compiled}"])
        train_tts(tts_corpus / "packed", tmp_path / compiled, config, show_progress=False)
        losses[compiled] = [row["train/loss"] for row in read_run_log(tmp_path / compiled)
                            if "train/loss" in row]
    assert np.allclose(losses["false"], losses["true"], rtol=1e-3)
    assert not torch.backends.cuda.cudnn_sdp_enabled()  # voxtune/train/kernels.py says why
