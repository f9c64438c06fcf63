"""Training logs: TensorBoard event files and a plain `train_log.jsonl` beside them.

TensorBoard is what people watch during a run; the JSONL file (one line per logged step:
`{"step": 10, "train/loss": 1.23, ...}`) is what scripts and reports read afterwards.
On resume, lines after the resumed step are dropped, so the file shows one clean curve.
"""

import json
from pathlib import Path

from torch.utils.tensorboard import SummaryWriter

LOG_FILE = "train_log.jsonl"


class RunLog:
    """Writes scalars of one run (rank 0 only) under `out/logs/` and to `out/train_log.jsonl`."""

    def __init__(self, out: Path, resumed_step: int):
        self.path = out / LOG_FILE
        _truncate_after(self.path, resumed_step)
        self.writer = SummaryWriter(log_dir=str(out / "logs"), purge_step=resumed_step or None)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.writer.add_scalar(key, value, step)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, **values}) + "\n")

    def close(self) -> None:
        self.writer.close()


def read_run_log(out: Path) -> list[dict[str, float]]:
    """Every logged step of the run at `out`, in order."""
    path = out / LOG_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _truncate_after(path: Path, step: int) -> None:
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line and json.loads(line)["step"] <= step]
    path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
