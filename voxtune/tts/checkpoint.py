"""VoxTTS model folders: what a checkpoint holds and how it loads.

A full model folder is a transformers checkpoint (`config.json`, `model.safetensors`) plus
`voxtts.yaml` (token layout, codec, text tokenizer kind) and the text tokenizer's files.
A LoRA checkpoint is a PEFT adapter folder (`adapter_config.json`,
`adapter_model.safetensors`) plus `voxtts.yaml` naming its base model folder, and, when
audio or speaker rows were trained, `token_rows.safetensors` with those rows.
"""

from dataclasses import dataclass
from pathlib import Path

import torch
import yaml
from peft import PeftModel
from safetensors.torch import save_file

from voxtune.config import from_dict, to_dict
from voxtune.errors import ConfigError, InputError
from voxtune.files import write_text
from voxtune.shipped import resolve_model
from voxtune.text import load_text_tokenizer
from voxtune.tts.layout import TokenLayout
from voxtune.tts.model import VoxTTS, grow_vocabulary, load_lm
from voxtune.weights import read_weights

META_FILE = "voxtts.yaml"
ROWS_FILE = "token_rows.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
VOICE_CODEC = "codec"  # a merged voice's own decoder, inside its folder (merge --codec)


@dataclass
class CodecInfo:
    """The codec whose tokens the model speaks; `path` is where it was loaded from, if known."""

    id: str
    sample_rate: int
    frame_rate: float
    num_codebooks: int
    codebook_size: int
    path: str | None = None


@dataclass
class TTSMeta:
    """`voxtts.yaml`. `base` is set for LoRA checkpoints; `trained_rows` is the first
    vocabulary row trained outside LoRA (audio or speaker rows), or None."""

    layout: TokenLayout
    codec: CodecInfo
    text_tokens: str = "phonemes"
    base: str | None = None
    trained_rows: int | None = None
    kind: str = "voxtts"


def is_tts_folder(path: str | Path) -> bool:
    return (Path(path) / META_FILE).is_file()


def read_meta(folder: Path) -> TTSMeta:
    path = folder / META_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return from_dict(TTSMeta, data)
    except (OSError, yaml.YAMLError, ConfigError) as exc:
        raise InputError(f"{path}: not a readable VoxTTS model description ({exc}); is "
                         f"{folder} a voxtune TTS checkpoint?") from exc


def save_tts(model: VoxTTS, folder: Path, meta: TTSMeta, tokenizer,
             state: dict[str, torch.Tensor] | None = None) -> None:
    """Write the model (full weights, or the LoRA adapter and trained rows) into `folder`.

    `state` is the VoxTTS module's complete state dict when its own holds shards (FSDP)."""
    folder.mkdir(parents=True, exist_ok=True)
    lm_state = None if state is None else {k.removeprefix("lm."): v for k, v in state.items()}
    model.lm.save_pretrained(str(folder), safe_serialization=True, state_dict=lm_state)
    if meta.trained_rows is not None:
        table = model.lm.get_input_embeddings().weight
        if lm_state is not None:
            table = next(lm_state[name] for name, p in model.lm.named_parameters()
                         if p is table)
        rows = table[meta.trained_rows:]
        save_file({"rows": rows.detach().float().cpu().contiguous()}, str(folder / ROWS_FILE))
    tokenizer.save(folder)
    write_text(folder / META_FILE, yaml.safe_dump(to_dict(meta), sort_keys=False,
                                                  allow_unicode=True))


def load_tts(folder: str | Path, attention: str = "sdpa", base_override: str | None = None
             ) -> tuple[VoxTTS, TTSMeta, object]:
    """(model in eval mode on the CPU, its description, its text tokenizer) from `folder`.

    A LoRA checkpoint loads its base (from `voxtts.yaml`, or `base_override`) first. A
    shipped model's name (`vox-base`) loads its text-to-speech LM."""
    folder = Path(resolve_model(folder, "tts"))
    if not is_tts_folder(folder):
        raise InputError(f"{folder}: no {META_FILE}; expected a voxtune TTS model folder "
                         "(a checkpoint step_… of voxtune train tts, or a merged model)")
    meta = read_meta(folder)
    if (folder / ADAPTER_CONFIG).is_file():
        meta.base = base_override or meta.base
        if not meta.base:
            raise InputError(f"{folder}: a LoRA adapter without a base model in {META_FILE}; "
                             "name the base with --base")
        if is_tts_folder(resolve_model(meta.base, "tts")):
            base_lm = load_tts(meta.base, attention)[0].lm
        else:  # a text LLM: its codec and speaker rows come from ROWS_FILE below
            base_lm = load_lm(meta.base, attention)
        grow_vocabulary(base_lm, meta.layout.vocab_size)
        lm = PeftModel.from_pretrained(base_lm, str(folder))
    else:
        lm = load_lm(str(folder), attention)
    model = VoxTTS(lm, meta.layout)
    if meta.trained_rows is not None:
        load_rows(model, folder, meta.trained_rows)
    tokenizer = load_text_tokenizer(meta.text_tokens, str(folder))
    return model.eval(), meta, tokenizer


def recorded_codec(folder: str | Path, meta: TTSMeta) -> str | None:
    """Where the codec the model records is: a path inside the model folder (the voice's
    own decoder, copied in by `merge --codec`) resolves there, so the folder can move; any
    other path, shipped name or hub id as it is."""
    path = meta.codec.path
    inside = Path(resolve_model(folder, "tts")) / path if path else None
    return str(inside) if inside is not None and inside.is_dir() else path


def load_rows(model: VoxTTS, folder: Path, first: int) -> None:
    """Copy trained vocabulary rows (from `first` on) into the embedding matrix."""
    rows = read_weights(folder / ROWS_FILE)["rows"]
    table = model.lm.get_input_embeddings().weight
    with torch.no_grad():
        table[first:first + len(rows)] = rows.to(table.dtype)
