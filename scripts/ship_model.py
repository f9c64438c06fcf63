"""Copy a trained checkpoint into the package as a shipped model, weights in float16.

    python scripts/ship_model.py codec RUN/codec/step_000004000 voxtune/models/vox-base/codec
    python scripts/ship_model.py tts RUN/tts/step_000020000 voxtune/models/vox-base/tts \
        --codec-name vox-base

Only what loading needs is copied (no optimizer or trainer state). Halving the weights
changes a VoxCodec's id (it hashes the encoder's weights), so extract the TTS training
tokens with the shipped codec folder, not with the float32 checkpoint.
"""

import argparse
import shutil
from pathlib import Path

import torch
import yaml
from safetensors.torch import load_file, save_file

CODEC_FILES = ("config.yaml",)
TTS_SKIP = ("trainer_state.pt",)


def half_weights(src: Path, dst: Path) -> int:
    """Float tensors of `src` as float16 in `dst`; returns the bytes written."""
    weights = {name: (t.half() if t.is_floating_point() else t).contiguous()
               for name, t in load_file(str(src)).items()}
    save_file(weights, str(dst))
    return dst.stat().st_size


def ship(kind: str, checkpoint: Path, out: Path, codec_name: str | None) -> int:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    size = 0
    for item in sorted(checkpoint.iterdir()):
        if not item.is_file() or item.name in TTS_SKIP:
            continue
        if item.name == "model.safetensors":
            size += half_weights(item, out / item.name)
        elif kind == "tts" or item.name in CODEC_FILES:
            shutil.copy2(item, out / item.name)
            size += item.stat().st_size
    if kind == "tts" and codec_name:
        meta_path = out / "voxtts.yaml"
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        meta["codec"]["path"] = codec_name
        meta_path.write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True),
                             encoding="utf-8")
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("kind", choices=["codec", "tts"])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--codec-name", help="tts: the codec's shipped name, recorded in "
                        "voxtts.yaml so the model finds it")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    size = ship(args.kind, args.checkpoint, args.out, args.codec_name)
    print(f"{args.out}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
