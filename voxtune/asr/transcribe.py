"""`voxtune transcribe`: audio files, folders, Kaldi `wav.scp` and ChatML lists → Kaldi text.

Like Fun-ASR's `decode.py` (`--model-dir`, `--scp-file`, `--output-file`), the transcripts
are written as Kaldi text (`utt-id text`, sorted by id) to OUTPUT, and the same text
normalised for scoring (Whisper-style, as Fun-ASR's `whisper_mix_normalize.py` does) to
OUTPUT.norm. With a reference (`--ref`: Kaldi text or ChatML JSONL) the error rate is
computed on the normalised texts and printed as Kaldi's compute-wer line.

Utterance ids: a `wav.scp` key or ChatML key as written; for a file, its name without the
suffix; for a folder, each audio file's path inside it without the suffix. Whitespace
becomes `_` (Kaldi ids hold none); a repeated id gets `~2`, `~3`.
"""

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from voxtune.asr.decode import DecodeOptions, Recognizer
from voxtune.asr.frontend import SAMPLE_RATE, load_16k
from voxtune.data.layouts import chatml, read_layout
from voxtune.data.layouts.kaldi import read_table, read_wav_scp
from voxtune.data.layouts.lines import unique_id
from voxtune.data.layouts.scan import is_audio, visible_files
from voxtune.data.manifest import Reject
from voxtune.errors import ClipRejected, InputError
from voxtune.eval.wer import ErrorRate, error_rate, normalize_for_scoring
from voxtune.files import write_text

GROUP_BATCHES = 8  # batches of audio held in memory at once (sorted by length within)
_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True)
class AudioItem:
    """One clip to transcribe: the whole of `audio`, or its `start`..`end` seconds."""

    id: str
    audio: Path
    start: float | None = None
    end: float | None = None


@dataclass
class DecodeRun:
    """Transcripts by id, clips that could not be read (id → why), audio seconds decoded
    and the wall time it took."""

    hypotheses: dict[str, str]
    problems: dict[str, str]
    audio_seconds: float
    wall_s: float

    @property
    def real_time_factor(self) -> float:
        return self.wall_s / max(self.audio_seconds, 1e-9)


@dataclass
class TranscribeResult:
    run: DecodeRun
    normalized: dict[str, str]
    device: str
    score: ErrorRate | None = None
    outputs: list[Path] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def transcribe(inputs: Sequence[Path], model_dir: Path, scp_file: Path | None = None,
               output_file: Path | None = None, ref: Path | None = None,
               options: DecodeOptions | None = None, language: str | None = None,
               device: str = "auto", show_progress: bool = True) -> TranscribeResult:
    """Transcribe every clip `inputs` and `scp_file` name (see the module docstring).

    `language` is the speech's language for normalisation and scoring (default: the one the
    model was trained on); it does not change what the model is asked.
    """
    items, rejects = list_audio(inputs, scp_file)
    references = read_references(ref) if ref is not None else None
    recognizer = Recognizer(model_dir, device=device)
    run = decode_items(recognizer, items, options or DecodeOptions(), show_progress)
    language = language or recognizer.meta.language
    normalized = {k: normalize_for_scoring(v, language) for k, v in run.hypotheses.items()}
    result = TranscribeResult(run=run, normalized=normalized, device=str(recognizer.device),
                              rejects=rejects)
    if output_file is not None:
        norm = output_file.with_name(output_file.name + ".norm")
        write_text(output_file, kaldi_text(run.hypotheses))
        write_text(norm, kaldi_text(normalized))
        result.outputs = [output_file, norm]
    if references is not None:
        result.score = error_rate(references, run.hypotheses, language)
    return result


def list_audio(inputs: Sequence[Path], scp_file: Path | None = None
               ) -> tuple[list[AudioItem], list[Reject]]:
    """The clips named by audio files, folders, `.scp` lists and ChatML `.jsonl` files."""
    sources = [Path(p) for p in inputs] + ([Path(scp_file)] if scp_file else [])
    if not sources:
        raise InputError("nothing to transcribe: give audio files, folders, or --scp-file")
    items: list[AudioItem] = []
    rejects: list[Reject] = []
    seen: set[str] = set()

    def add(name: str, audio: Path, start: float | None = None, end: float | None = None):
        items.append(AudioItem(unique_id(_WHITESPACE.sub("_", name), seen), audio, start, end))

    for source in sources:
        if source.is_dir():
            found = [p for p in visible_files(source) if is_audio(p)]
            if not found:
                raise InputError(f"{source}: no audio files in this folder")
            for path in found:
                add(path.relative_to(source).with_suffix("").as_posix(), path)
        elif source.suffix == ".scp":
            _require_file(source)
            for key, audio in read_wav_scp(source, rejects).items():
                if isinstance(audio, Reject):
                    rejects.append(audio)
                else:
                    add(key, audio)
        elif source.suffix == chatml.SUFFIX:
            _require_file(source)
            utterances, problems = read_layout(source, "chatml")
            rejects += problems
            for u in utterances:
                add(u.id, Path(u.audio), u.start, u.end)
        elif is_audio(source):
            _require_file(source)
            add(source.stem, source)
        else:
            raise InputError(f"{source}: not an audio file, a folder, a Kaldi .scp list or a "
                             "ChatML .jsonl list")
    return items, rejects


def decode_items(recognizer: Recognizer, items: Sequence[AudioItem], options: DecodeOptions,
                 show_progress: bool = True) -> DecodeRun:
    """Transcripts of `items`, a group of batches at a time (bounded memory); clips that
    cannot be decoded are recorded in `problems` and the rest goes on."""
    run = DecodeRun(hypotheses={}, problems={}, audio_seconds=0.0, wall_s=0.0)
    group = max(1, options.batch_size) * GROUP_BATCHES
    with tqdm(total=len(items), desc="transcribe", unit="clip",
              disable=not show_progress) as bar:
        for first in range(0, len(items), group):
            ids, clips = [], []
            for item in items[first:first + group]:
                try:
                    clips.append(load_16k(item.audio, item.start, item.end))
                    ids.append(item.id)
                except ClipRejected as exc:
                    run.problems[item.id] = str(exc)
            started = time.perf_counter()
            texts = recognizer.transcribe(clips, options)
            run.wall_s += time.perf_counter() - started
            run.audio_seconds += sum(len(c) for c in clips) / SAMPLE_RATE
            run.hypotheses.update(zip(ids, texts, strict=True))
            bar.update(len(items[first:first + group]))
    return run


def read_references(path: Path) -> dict[str, str]:
    """Reference transcripts by id from Kaldi text (`utt-id text`) or a ChatML `.jsonl`."""
    path = Path(path)
    _require_file(path)
    if path.suffix == chatml.SUFFIX:
        utterances, _ = read_layout(path, "chatml")
        return {u.id: u.text or "" for u in utterances}
    return {key: text for key, (_, text) in read_table(path, []).items()}


def kaldi_text(texts: dict[str, str]) -> str:
    """`utt-id text` lines sorted by id, as Kaldi tables are."""
    return "".join(f"{key} {texts[key]}\n" for key in sorted(texts))


def _require_file(path: Path) -> None:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
