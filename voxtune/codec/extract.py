"""`voxtune extract`: codec tokens beside each clip, like fish-speech's `extract_vq.py`.

Each clip `SPK/CLIP.wav` gets `SPK/CLIP.npy`: integer codes shaped [num_codebooks, frames]
(int16 when the codebook fits, else int32). `DATA/codes.json` records the codec (id, rates,
codebooks) and, per clip, the audio's size and mtime when it was encoded, so a re-run skips
clips already done and redoes clips whose audio changed or that another codec encoded.

Batches only hold clips with the same number of frames. Every clip is then padded to the
same length in a batch as when encoded alone, so batched codes equal one-at-a-time codes
for any codec, causal or not; on a real dataset most frame counts are shared by many clips,
so batches still fill. Audio is decoded and resampled by DataLoader workers while the
codec runs. Under torchrun, rank r of w encodes every w-th clip.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from voxtune.audio.io import read_audio, resample
from voxtune.codec.base import Codec, load_codec
from voxtune.data.codes_index import clip_key, load_codes_index, save_codes_index
from voxtune.data.layouts import read_layout
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import ClipRejected
from voxtune.files import atomic_path, file_fingerprint


@dataclass
class ExtractSummary:
    """What one run did: clips encoded now, clips already up to date, clips set aside."""

    codec_id: str
    encoded: int = 0
    up_to_date: int = 0
    audio_seconds: float = 0.0
    rejects: list[Reject] = field(default_factory=list)


class _ClipAudio(Dataset):
    """Mono audio at the codec's rate, or the reason it cannot be read (runs in workers)."""

    def __init__(self, clips: list[Utterance], sample_rate: int):
        self.clips, self.sample_rate = clips, sample_rate

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> tuple[int, np.ndarray | tuple[str, str]]:
        try:
            audio, rate = read_audio(self.clips[index].audio)
        except ClipRejected as exc:  # sent back as plain strings: it crosses processes
            return index, (exc.reason, str(exc))
        return index, resample(audio.mean(axis=0), rate, self.sample_rate)


def extract(data: Path, codec: str | Codec, batch_size: int = 8, num_workers: int = 2,
            device: str = "cpu", filelist: Path | None = None,
            show_progress: bool = True) -> ExtractSummary:
    """Write `CLIP.npy` codes beside every clip of the dataset at `data` (see module docstring).

    `codec` is a codec folder or hub id, or a loaded `Codec`. `filelist` names the clips to
    encode in any layout voxtune reads (default: the dataset itself). `device` "auto" means
    cuda when available, else cpu.
    """
    data = Path(data)
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and "LOCAL_RANK" in os.environ:  # torchrun: one GPU per process
        device = f"cuda:{os.environ['LOCAL_RANK']}"
    model = load_codec(codec, device) if isinstance(codec, str) else codec
    clips, rejects = read_layout(filelist or data)
    summary = ExtractSummary(codec_id=model.codec_id, rejects=rejects)
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    index = _load_index(data, model)
    todo = []
    for clip in clips[rank::world]:
        if clip.start is not None or clip.end is not None:
            summary.rejects.append(Reject(str(clip.audio), "segment", f"{clip.id}: a segment "
                                          "of a longer file has no file of its own to put codes "
                                          "beside; cut the segments with voxtune prepare first",
                                          id=clip.id))
        elif index["clips"].get(clip_key(data, clip.audio)) == file_fingerprint(clip.audio) and \
                clip.audio.with_suffix(".npy").is_file():
            summary.up_to_date += 1
        else:
            todo.append(clip)
    decoded = DataLoader(_ClipAudio(todo, model.sample_rate), batch_size=None,
                         collate_fn=_unchanged, num_workers=num_workers,
                         prefetch_factor=8 if num_workers else None)
    pending: dict[int, list[tuple[Utterance, np.ndarray]]] = {}
    with tqdm(total=len(todo), desc="extract", unit="clip", disable=not show_progress) as bar:
        for position, audio in decoded:
            clip = todo[position]
            if isinstance(audio, tuple):
                summary.rejects.append(Reject(str(clip.audio), *audio, id=clip.id))
                bar.update(1)
                continue
            group = pending.setdefault(model.frames_for(len(audio)), [])
            group.append((clip, audio))
            if len(group) == batch_size:
                _encode(model, group, data, index, summary, bar)
                group.clear()
        for group in pending.values():
            if group:
                _encode(model, group, data, index, summary, bar)
    save_codes_index(data, index, rank, world)
    return summary


def _encode(model: Codec, group: list[tuple[Utterance, np.ndarray]], data: Path, index: dict,
            summary: ExtractSummary, bar: tqdm) -> None:
    lengths = torch.tensor([len(audio) for _, audio in group])
    wavs = torch.zeros(len(group), int(lengths.max()))
    for row, (_, audio) in enumerate(group):
        wavs[row, :len(audio)] = torch.from_numpy(audio)
    codes, frames = model.encode(wavs.to(_device(model)), lengths.to(_device(model)))
    dtype = np.int16 if model.codebook_size <= np.iinfo(np.int16).max + 1 else np.int32
    for row, (clip, audio) in enumerate(group):
        item = codes[row, :, :int(frames[row])].cpu().numpy().astype(dtype)
        with atomic_path(clip.audio.with_suffix(".npy")) as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, item)
        index["clips"][clip_key(data, clip.audio)] = file_fingerprint(clip.audio)
        summary.encoded += 1
        summary.audio_seconds += len(audio) / model.sample_rate
    bar.update(len(group))


def _unchanged(item: tuple) -> tuple:
    """Keep the worker's numpy audio as it is (the default would turn it into a tensor)."""
    return item


def _device(model: Codec) -> torch.device:
    return getattr(model, "device", torch.device("cpu"))


def _load_index(data: Path, model: Codec) -> dict:
    """This codec's index of finished clips, or an empty one."""
    index = load_codes_index(data, model.codec_id)
    codec = {"id": model.codec_id, "sample_rate": model.sample_rate,
             "frame_rate": model.frame_rate, "num_codebooks": model.num_codebooks,
             "codebook_size": model.codebook_size}
    return index if index is not None else {"codec": codec, "clips": {}}
