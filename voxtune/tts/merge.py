"""`voxtune merge`: fold a LoRA checkpoint into its base, as one model folder.

The merged folder loads on its own (no PEFT, no base) and computes the same logits as base +
adapter, up to floating-point rounding of W + BA.
"""

import dataclasses
import shutil
import tempfile
from pathlib import Path

from voxtune.errors import InputError
from voxtune.files import PARTIAL_MARK
from voxtune.tts.checkpoint import ADAPTER_CONFIG, load_tts, read_meta, save_tts
from voxtune.tts.lora import merge_lora


def merge(lora: Path, output: Path, base: Path | None = None) -> Path:
    """Write base + `lora` merged into `output`; `base` overrides the base the adapter names."""
    lora, output = Path(lora), Path(output)
    if not (lora / ADAPTER_CONFIG).is_file():
        raise InputError(f"{lora}: not a LoRA checkpoint (no {ADAPTER_CONFIG}); a full "
                         "checkpoint needs no merge and loads as it is")
    if output.exists():
        raise InputError(f"{output} already exists; choose a new folder for the merged model")
    meta = read_meta(lora)
    if base is not None:
        meta.base = str(Path(base).resolve())
    model, meta, tokenizer = load_tts(lora, base_override=meta.base)
    merged = merge_lora(model)
    plain = dataclasses.replace(meta, base=None, trained_rows=None)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=PARTIAL_MARK,
                                dir=output.parent))
    try:
        save_tts(merged, tmp, plain, tokenizer)
        tmp.rename(output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return output
