"""Checkpoint folders named by step (`step_000001000`), written atomically, last K kept.

A checkpoint folder holds what the task's `save` writes (config and safetensors weights,
loadable on their own) plus `trainer_state.pt`: optimizer, schedule and scaler states, the
step, each rank's data position and random-number states, so that a resumed run continues
exactly where the saved one was. A folder is first written under a hidden temporary name
and renamed when complete, so a killed run never leaves a checkpoint that looks whole.
`best.json` names the checkpoint with the best validation score, which pruning spares.
"""

import json
import re
import shutil
import tempfile
from pathlib import Path

from voxtune.files import PARTIAL_MARK, write_text

TRAINER_STATE = "trainer_state.pt"
BEST_FILE = "best.json"
_STEP_DIR = re.compile(r"^step_(\d{9})$")


def step_name(step: int) -> str:
    """`step_000001000`: nine digits, so folders sort by step as text too."""
    return f"step_{step:09d}"


def list_checkpoints(out: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints under `out`, oldest first, as (step, folder)."""
    if not out.is_dir():
        return []
    found = []
    for child in out.iterdir():
        match = _STEP_DIR.match(child.name)
        if match and child.is_dir() and (child / TRAINER_STATE).is_file():
            found.append((int(match.group(1)), child))
    return sorted(found)


def latest_checkpoint(out: Path) -> Path | None:
    """The newest complete checkpoint under `out`, if any."""
    found = list_checkpoints(out)
    return found[-1][1] if found else None


def remove_partial_checkpoints(out: Path) -> None:
    """Delete temporary folders that a killed run left half-written."""
    if out.is_dir():
        for child in out.glob(f".step_*{PARTIAL_MARK}"):
            shutil.rmtree(child, ignore_errors=True)


def begin_checkpoint(out: Path, step: int) -> Path:
    """A new hidden temporary folder for the checkpoint of `step` (several ranks may write)."""
    out.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{step_name(step)}.", suffix=PARTIAL_MARK, dir=out))


def commit_checkpoint(out: Path, step: int, tmp: Path, keep_last: int) -> Path:
    """Give the finished temporary folder its step name, then keep only the last K."""
    final = out / step_name(step)
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    if keep_last > 0:
        best = read_best(out)
        for old_step, old in list_checkpoints(out)[:-keep_last]:
            if best is None or old_step != best["step"]:
                shutil.rmtree(old, ignore_errors=True)
    return final


def read_best(out: Path) -> dict | None:
    """`{"step", "metric", "value"}` of the best validated checkpoint, if one was recorded."""
    path = out / BEST_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def record_best(out: Path, step: int, metric: str, value: float) -> None:
    """Name the checkpoint of `step` as the best so far by `metric`."""
    write_text(out / BEST_FILE, json.dumps({"step": step, "metric": metric, "value": value,
                                            "checkpoint": step_name(step)}) + "\n")


def best_checkpoint(out: Path) -> Path | None:
    """The checkpoint that `best.json` names, if it is still there."""
    best = read_best(out)
    folder = out / step_name(best["step"]) if best else None
    return folder if folder is not None and (folder / TRAINER_STATE).is_file() else None
