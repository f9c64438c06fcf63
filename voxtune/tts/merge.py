"""`voxtune merge`: fold a LoRA checkpoint into its base, as one model folder.

The merged folder loads on its own (no PEFT, no base) and computes the same logits as base +
adapter, up to floating-point rounding of W + BA. With `codec`, the voice's own decoder (a
codec fine-tuned on its recordings with its tokenizer frozen, `train codec codec-demo` or
`codec-finetune`) is copied in as `codec/` and recorded, so the folder is the whole voice, as
GPT-SoVITS pairs GPT weights with SoVITS weights: synthesis decodes through it by default.
"""

import dataclasses
import shutil
import tempfile
from pathlib import Path

from voxtune.codec import load_codec
from voxtune.codec.voxcodec.checkpoint import CONFIG_FILE as CODEC_CONFIG
from voxtune.codec.voxcodec.checkpoint import WEIGHTS_FILE as CODEC_WEIGHTS
from voxtune.codec.voxcodec.checkpoint import is_voxcodec_folder
from voxtune.errors import InputError
from voxtune.files import PARTIAL_MARK
from voxtune.tts.checkpoint import ADAPTER_CONFIG, VOICE_CODEC, load_tts, read_meta, save_tts
from voxtune.tts.lora import merge_lora


def merge(lora: Path, output: Path, base: Path | None = None, codec: Path | None = None
          ) -> Path:
    """Write base + `lora` merged into `output`; `base` overrides the base the adapter names;
    `codec` (a VoxCodec folder speaking the model's codec id) goes with it."""
    lora, output = Path(lora), Path(output)
    if not (lora / ADAPTER_CONFIG).is_file():
        raise InputError(f"{lora}: not a LoRA checkpoint (no {ADAPTER_CONFIG}); a full "
                         "checkpoint needs no merge and loads as it is")
    if output.exists():
        raise InputError(f"{output} already exists; choose a new folder for the merged model")
    meta = read_meta(lora)
    if base is not None:
        meta.base = str(Path(base).resolve())
    if codec is not None:
        _check_voice_codec(Path(codec), meta.codec.id)
    model, meta, tokenizer = load_tts(lora, base_override=meta.base)
    merged = merge_lora(model)
    plain = dataclasses.replace(meta, base=None, trained_rows=None)
    if codec is not None:
        plain.codec = dataclasses.replace(meta.codec, path=VOICE_CODEC)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=PARTIAL_MARK,
                                dir=output.parent))
    try:
        save_tts(merged, tmp, plain, tokenizer)
        if codec is not None:
            (tmp / VOICE_CODEC).mkdir()
            for name in (CODEC_CONFIG, CODEC_WEIGHTS):
                shutil.copyfile(Path(codec) / name, tmp / VOICE_CODEC / name)
        tmp.rename(output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return output


def _check_voice_codec(codec: Path, codec_id: str) -> None:
    """A VoxCodec folder whose tokenizer is the one the model speaks (a decoder fine-tune
    keeps the id; another codec's tokens would decode to noise)."""
    if not is_voxcodec_folder(codec):
        raise InputError(f"--codec {codec}: not a VoxCodec folder (config.yaml with kind: "
                         "voxcodec and model.safetensors); give a checkpoint of voxtune train "
                         "codec")
    found = load_codec(str(codec), "cpu").codec_id
    if found != codec_id:
        raise InputError(f"--codec {codec} is {found}, but the model speaks {codec_id}; "
                         "fine-tune the decoder of the codec its data was extracted with "
                         "(freeze_encoder=true keeps the id)")
