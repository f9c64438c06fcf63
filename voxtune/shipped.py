"""Models that ship inside the package, loaded by name as well as by path.

No pretrained voice model can be downloaded where voxtune is tested, so voxtune ships its
own small base models, trained by its own commands (see docs/models.md). `vox-base` names
the pair: its codec (`--codec vox-base`) and its text-to-speech LM (`--model vox-base`,
`backbone.pretrained=vox-base`, `--base vox-base`). The weights live in
`voxtune/models/NAME/{codec,tts}/` as safetensors.
"""

from pathlib import Path
from typing import Literal

from voxtune.errors import InputError

MODELS_DIR = Path(__file__).parent / "models"
SHIPPED_NAMES = ("vox-base",)

Part = Literal["codec", "tts"]


def shipped_folder(name: str, part: Part) -> Path | None:
    """The package folder of a shipped model's part, or None when `name` is not one."""
    if name not in SHIPPED_NAMES:
        return None
    folder = MODELS_DIR / name / part
    if not folder.is_dir():
        raise InputError(f"{name}: this installation has no {part} weights in {folder}; "
                         "reinstall voxtune from a full checkout, or pass a model folder")
    return folder


def resolve_model(name_or_path: str | Path, part: Part) -> str:
    """A shipped model's name → its folder; a local path or hub id → itself.

    A local folder of the same name wins over a shipped model, as with transformers."""
    text = str(name_or_path)
    if Path(text).exists():
        return text
    folder = shipped_folder(text, part)
    return str(folder) if folder is not None else text
