"""`voxtune synthesize`: text → speech with a VoxTTS model and its codec.

The voice comes from a speaker learned in fine-tuning (`speaker`) or from a reference
recording and its transcript (`ref_audio`, `ref_text`: zero-shot cloning, the reference
becomes the prompt's first sentence). Long text is split as GPT-SoVITS's
`text_split_method` does; the pieces are generated in batches and joined with short
pauses.

Audio streams as it is decoded (`Synthesizer.stream`, which `voxtune serve` sends out and
`speak` writes to a file): with a codec of known receptive field (VoxCodec) each piece is
decoded in chunks while its codes are generated, joined exactly
(`voxtune.codec.chunked`); with other codecs, or when the speed changes (the tempo
effect works on whole pieces), piece by piece.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from voxtune.audio.io import read_audio, resample, write_audio
from voxtune.audio.tempo import change_speed, check_speed
from voxtune.codec import Codec, codec_device, load_codec
from voxtune.codec.chunked import ChunkedDecoder
from voxtune.errors import ClipRejected, InputError
from voxtune.shipped import MODELS_DIR, SHIPPED_NAMES
from voxtune.text import canonical_language, prepare_text, split_text
from voxtune.train.distributed import resolve_device
from voxtune.tts.checkpoint import TTSMeta, load_tts, recorded_codec
from voxtune.tts.generate import SamplingConfig, generate_stream
from voxtune.tts.layout import NO_TOKEN, TokenLayout, delay

PAUSE_SECONDS = 0.25  # between split pieces
# Longest `length` piece in characters. GPT-SoVITS's 50 suits Chinese; an English sentence
# of the demo corpus runs to 56 characters at the median and 103 at the 90th percentile, and
# cut at 50 most would be spoken as two fragments with a pause in the middle. Spanish, whose
# sentences run as long or longer in letters, takes the same 120 as English.
PIECE_CHARS = {"zh": 50}
PIECE_CHARS_OTHERS = 120


@dataclass
class SynthesisResult:
    """The written file, its duration, the pieces spoken, and timings (seconds) on `device`."""

    out: Path
    seconds: float
    pieces: list[str]
    wall_s: float
    first_audio_s: float
    device: str
    frames: list[int] = field(default_factory=list)

    @property
    def real_time_factor(self) -> float:
        return self.wall_s / max(self.seconds, 1e-9)


def synthesize(model: str | Path, text: str, out: Path, speaker: str | None = None,
               ref_audio: Path | None = None, ref_text: str | None = None,
               language: str = "en", codec: str | None = None, split: str = "length",
               speed: float = 1.0, sampling: SamplingConfig | None = None,
               batch_size: int = 8, device: str = "auto",
               compile: bool = False) -> SynthesisResult:
    """Speak `text` into `out` (.wav, .flac, .mp3 or .ogg); loads the model for this call.

    `compile` decodes with voxtune's fused decoder (Llama and Qwen backbones), a static KV
    cache and CUDA graphs: much faster per step on a GPU, after a one-time compilation that
    pays off for long texts or a server."""
    speaker_model = Synthesizer(model, codec=codec, device=device)
    return speaker_model.speak(text, out, speaker=speaker, ref_audio=ref_audio,
                               ref_text=ref_text, language=language, split=split,
                               speed=speed, sampling=sampling, batch_size=batch_size,
                               compile=compile)


class Synthesizer:
    """A VoxTTS model and its codec, loaded once, for many texts (evaluation, serving).

    Timings of `speak` start when it is called, so they exclude loading."""

    def __init__(self, model: str | Path, codec: str | None = None, device: str = "auto"):
        self.device = resolve_device(device)
        self.tts, self.meta, self.tokenizer = load_tts(model)
        self.tts.to(self.device)
        self.codec = _load_matching_codec(codec or recorded_codec(model, self.meta), self.meta,
                                          str(self.device))

    @property
    def sample_rate(self) -> int:
        return self.codec.sample_rate

    @property
    def speakers(self) -> list[str]:
        """The voices the model learned, in its vocabulary's order."""
        return list(self.tts.layout.speakers)

    def stream(self, text: str, speaker: str | None = None, ref_audio: Path | None = None,
               ref_text: str | None = None, language: str = "en", split: str = "length",
               speed: float = 1.0, sampling: SamplingConfig | None = None,
               batch_size: int = 8, compile: bool = False) -> "SpeechStream":
        """`text` made ready to speak: the voice, the pieces and their prompts are checked
        and built here (an `InputError` names what is wrong); iterating the result
        generates and decodes the audio."""
        layout = self.tts.layout
        prefix = _voice_prefix(layout, self.meta, self.tokenizer, self.codec, speaker,
                               ref_audio, ref_text, language)
        pieces = split_text(text, split, max_chars=PIECE_CHARS.get(
            canonical_language(language), PIECE_CHARS_OTHERS))
        if not pieces:
            raise InputError("nothing to say: the text is empty")
        check_speed(speed)
        prompts = [np.concatenate([prefix, _text_grid(
            prepare_text(piece, language, self.tokenizer) + [layout.audio_start], layout)])
            for piece in pieces]
        return SpeechStream(self, pieces, prompts, speed, sampling or SamplingConfig(),
                            batch_size, compile)

    def speak(self, text: str, out: Path, speaker: str | None = None,
              ref_audio: Path | None = None, ref_text: str | None = None,
              language: str = "en", split: str = "length", speed: float = 1.0,
              sampling: SamplingConfig | None = None, batch_size: int = 8,
              compile: bool = False) -> SynthesisResult:
        """Speak `text` into `out`; `first_audio_s` is when the stream's first chunk was
        ready."""
        started = time.perf_counter()
        speech = self.stream(text, speaker=speaker, ref_audio=ref_audio, ref_text=ref_text,
                             language=language, split=split, speed=speed, sampling=sampling,
                             batch_size=batch_size, compile=compile)
        chunks, first_audio = [], None
        for chunk in speech:
            chunks.append(chunk)
            first_audio = first_audio or time.perf_counter() - started
        joined = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
        write_audio(Path(out), joined, self.sample_rate)
        return SynthesisResult(out=Path(out), seconds=len(joined) / self.sample_rate,
                               pieces=speech.pieces, wall_s=time.perf_counter() - started,
                               first_audio_s=first_audio or 0.0, device=str(self.device),
                               frames=speech.frames)


class SpeechStream:
    """The audio of one text as it is decoded: iterating yields float32 mono chunks at
    `sample_rate` Hz, in order, the pauses between pieces included; joined, they are the
    whole utterance. `frames` grows by each piece's codec frames as it ends.

    Pieces are generated `batch_size` at a time; the first unfinished piece of a batch
    streams while the others are generated beside it, and each later piece follows as soon
    as the one before it has ended."""

    def __init__(self, synthesizer: Synthesizer, pieces: list[str], prompts: list[np.ndarray],
                 speed: float, sampling: SamplingConfig, batch_size: int, compile: bool):
        self.synthesizer, self.pieces, self.prompts = synthesizer, pieces, prompts
        self.speed, self.sampling = speed, sampling
        self.batch_size, self.compile = max(1, batch_size), compile
        self.sample_rate = synthesizer.sample_rate
        self.frames: list[int] = []

    def __iter__(self) -> Iterator[np.ndarray]:
        codec, whole = self.synthesizer.codec, self.speed != 1.0
        pause = np.zeros(int(PAUSE_SECONDS / self.speed * self.sample_rate), dtype=np.float32)
        for start in range(0, len(self.prompts), self.batch_size):
            batch = self.prompts[start:start + self.batch_size]
            decoders = [ChunkedDecoder(codec, whole=whole) for _ in batch]
            current = 0  # the piece of this batch whose audio is being sent
            for progress in generate_stream(self.synthesizer.tts, batch, self.sampling,
                                            compile=self.compile):
                while current < len(batch):
                    final = progress.ended[current]
                    audio = decoders[current].feed(progress.codes[current], final)
                    if whole and final:
                        audio = change_speed(audio, self.sample_rate, self.speed)
                    if len(audio):
                        yield audio
                    if not final:
                        break
                    self.frames.append(progress.codes[current].shape[1])
                    current += 1
                    if start + current < len(self.prompts):
                        yield pause

def _load_matching_codec(path: str | None, meta: TTSMeta, device: str) -> Codec:
    """The codec named (or recorded in the model), else the shipped codec whose id the model
    speaks (a model trained on tokens of `vox-base` needs no --codec)."""
    if not path:
        shipped = _shipped_codec_speaking(meta.codec.id, device)
        if shipped is None:
            raise InputError(f"the model speaks codec {meta.codec.id}; say where it is with "
                             "--codec PATH")
        return shipped
    loaded = load_codec(path, device)
    if loaded.codec_id != meta.codec.id:
        raise InputError(f"codec {path} is {loaded.codec_id}, but the model was trained on "
                         f"{meta.codec.id}; pass the codec its data was extracted with")
    return loaded


def _shipped_codec_speaking(codec_id: str, device: str) -> Codec | None:
    for name in SHIPPED_NAMES:
        if (MODELS_DIR / name / "codec").is_dir():
            shipped = load_codec(name, device)
            if shipped.codec_id == codec_id:
                return shipped
    return None


def _voice_prefix(layout: TokenLayout, meta: TTSMeta, tokenizer, codec: Codec,
                  speaker: str | None, ref_audio: Path | None, ref_text: str | None,
                  language: str) -> np.ndarray:
    """The prompt's start: a speaker token, or the reference sentence (text + audio)."""
    if ref_audio is not None:
        if not ref_text:
            raise InputError("a reference recording needs its transcript: pass --ref-text")
        try:
            samples, rate = read_audio(Path(ref_audio))
        except ClipRejected as exc:
            raise InputError(f"reference {ref_audio}: {exc}") from exc
        mono = resample(samples.mean(axis=0), rate, codec.sample_rate).astype(np.float32)
        codes, _ = codec.encode(torch.from_numpy(mono)[None].to(codec_device(codec)),
                                torch.tensor([len(mono)]))
        steps = layout.audio_ids(delay(codes[0].cpu().numpy(), layout))
        text_ids = prepare_text(ref_text, language, tokenizer) + [layout.audio_start]
        return np.concatenate([_text_grid(text_ids, layout), steps])
    if speaker is None and len(layout.speakers) == 1:
        speaker = layout.speakers[0]
    if speaker is None:
        known = ", ".join(layout.speakers) or "none"
        raise InputError(f"choose a voice: --speaker NAME (this model knows: {known}) or "
                         "--ref-audio A.wav --ref-text 'what A says'")
    if speaker not in layout.speakers:
        raise InputError(f"speaker {speaker!r} is not one this model learned; it knows "
                         f"{', '.join(layout.speakers) or 'none'}")
    return _text_grid([layout.speaker_id(speaker)], layout)


def _text_grid(ids: list[int], layout: TokenLayout) -> np.ndarray:
    grid = np.full((len(ids), layout.num_codebooks), NO_TOKEN, dtype=np.int64)
    grid[:, 0] = ids
    return grid
