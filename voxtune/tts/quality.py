"""Checkpoints judged by what they say and how they sound, not by their loss.

A fine-tune's loss keeps falling while the voice drifts: it starts to mumble (fish-speech's
runs that "drift into noise") or never catches the timbre, and the loss does not tell which
checkpoint was good. So every `eval.every` steps the checkpoint just saved speaks sentences
that no data holds, and the recognizer and the speaker embedder score it against the
voice's own held-out recordings: character error rate, similarity, similarity margin over
the closest other voice, DNSMOS. Each evaluation is one line of `OUT/quality.jsonl`.

The best checkpoint follows a stated rule (`choose_best`): the highest margin (similarity
where no other voices are given) among the checkpoints whose CER is within `cer_slack` of
the lowest CER measured. It is named in `OUT/best.json`, spared by checkpoint pruning, and
linked as `OUT/best`, so `voxtune merge --lora OUT/best` merges it. With `patience`, the run
stops once that many evaluations in a row brought no new best, and `OUT/stopped.json` says
why; a later run of the same command then trains no further.
"""

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from voxtune.errors import ConfigError
from voxtune.eval.folder import write_report
from voxtune.eval.tts import VoiceSpec, evaluate_tts, read_sentences
from voxtune.files import write_text
from voxtune.train.checkpoints import BEST_FILE, list_checkpoints, step_name
from voxtune.tts.config import QualityEvalConfig
from voxtune.tts.generate import SamplingConfig

log = logging.getLogger(__name__)

QUALITY_FILE = "quality.jsonl"
STOPPED_FILE = "stopped.json"
BEST_LINK = "best"


@dataclass
class Quality:
    """One checkpoint's measurements on the held-out sentences (None where not measured)."""

    step: int
    cer: float
    similarity: float | None = None
    margin: float | None = None
    dnsmos: float | None = None


def choose_best(rows: list[Quality], cer_slack: float) -> Quality:
    """The rule: among the checkpoints whose CER is at most the lowest CER + `cer_slack`,
    the one with the highest margin (or similarity, where no margin was measured); on a
    tie, the earlier step."""
    if not rows:
        raise ValueError("no evaluated checkpoints to choose from")
    lowest = min(row.cer for row in rows)
    near = [row for row in rows if row.cer <= lowest + cer_slack + 1e-12]

    def closeness(row: Quality) -> float:
        value = row.margin if row.margin is not None else row.similarity
        return float("-inf") if value is None else value

    return max(near, key=lambda row: (closeness(row), -row.cer, -row.step))


def read_quality(out: Path) -> list[Quality]:
    """The evaluations recorded under `out`, one per step (a line cut short by a killed run
    is ignored: its checkpoint is evaluated again)."""
    path = Path(out) / QUALITY_FILE
    rows: dict[int, Quality] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = Quality(**json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue
            rows[row.step] = row
    return [rows[step] for step in sorted(rows)]


def stop_reason(out: Path) -> str | None:
    """Why an earlier run under `out` stopped early, if it did."""
    path = Path(out) / STOPPED_FILE
    return json.loads(path.read_text(encoding="utf-8"))["reason"] if path.is_file() else None


class CheckpointJudge:
    """Evaluates saved checkpoints of one TTS run (see the module docstring).

    `speaker` is the learned speaker the checkpoints speak as."""

    def __init__(self, config: QualityEvalConfig, out: Path, speaker: str,
                 device: str = "auto", show_progress: bool = True) -> None:
        if not config.sentences or not config.refs:
            raise ConfigError("eval.every needs eval.sentences (a text file, one sentence a "
                              "line, that no training data says) and eval.refs (a folder of "
                              "the voice's own held-out recordings)")
        self.config = config
        self.out = Path(out)
        self.speaker = speaker
        self.device = device
        self.show_progress = show_progress
        self.sentences = read_sentences(Path(config.sentences))

    def after_save(self, step: int, checkpoint: Path, final: bool) -> bool:
        """Evaluate `checkpoint` if its step is due (every `eval.every` steps, and the
        run's last); returns whether training should stop early."""
        if not (final or step % self.config.every == 0):
            return False
        if step not in {row.step for row in read_quality(self.out)}:
            self.evaluate(step, checkpoint)
        return self._patience_spent()

    def catch_up(self) -> None:
        """Evaluate due checkpoints that a killed run saved but never scored."""
        done = {row.step for row in read_quality(self.out)}
        for step, folder in list_checkpoints(self.out):
            if step % self.config.every == 0 and step not in done:
                self.evaluate(step, folder)

    def evaluate(self, step: int, checkpoint: Path) -> Quality:
        """Speak the sentences with `checkpoint`, score them, record the result and the
        best checkpoint so far."""
        config = self.config
        # synthesis samples: keep the training run's random streams as they were
        devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(config.seed)
            report = evaluate_tts(
                checkpoint, self.sentences, self.out / "quality" / step_name(step),
                VoiceSpec(speaker=self.speaker),
                references=Path(config.refs), codec=config.codec, language=config.language,
                device=self.device, others=Path(config.others) if config.others else None,
                unit="char", name="speech",
                sampling=SamplingConfig(seed=config.seed, max_frames=config.max_frames),
                show_progress=False)
        write_report(report, self.out / "quality" / step_name(step))
        metrics = report.metrics
        row = Quality(
            step=step,
            cer=1.0 - metrics["intelligibility"].mean if "intelligibility" in metrics else 1.0,
            similarity=_mean(metrics, "similarity"),
            margin=_mean(metrics, "similarity_margin"),
            dnsmos=_mean(metrics, "mos_ovrl"))
        with (self.out / QUALITY_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(row)) + "\n")
        best = choose_best(read_quality(self.out), config.cer_slack)
        self._record_best(best)
        if self.show_progress:
            log.info("step %d: CER %.3f, similarity %s, margin %s, DNSMOS %s; best: step %d",
                        step, row.cer, _shown(row.similarity), _shown(row.margin),
                        _shown(row.dnsmos), best.step)
        return row

    def _record_best(self, best: Quality) -> None:
        """`best.json` (the step, its measurements, the rule) and the `best` link to it."""
        value = best.margin if best.margin is not None else best.similarity
        write_text(self.out / BEST_FILE, json.dumps({
            "step": best.step, "checkpoint": step_name(best.step),
            "metric": "quality", "value": value, "measures": asdict(best),
            "rule": f"highest {'margin' if best.margin is not None else 'similarity'} "
                    f"among checkpoints whose CER is within {self.config.cer_slack:g} of "
                    "the lowest"}, indent=2) + "\n")
        link = self.out / BEST_LINK
        tmp = self.out / f".{BEST_LINK}.tmp"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(step_name(best.step), tmp)
        os.replace(tmp, link)

    def _patience_spent(self) -> bool:
        """Whether the last `patience` evaluations all came after the best one; if so,
        `stopped.json` records why."""
        patience = self.config.patience
        rows = read_quality(self.out)
        if patience <= 0 or len(rows) <= patience:
            return False
        best = choose_best(rows, self.config.cer_slack)
        later = [row.step for row in rows if row.step > best.step]
        if len(later) < patience:
            return False
        reason = (f"quality stopped improving: step {best.step} is the best by the rule "
                  f"(CER {best.cer:.3f}, margin {_shown(best.margin)}, similarity "
                  f"{_shown(best.similarity)}), and the {len(later)} evaluations after it "
                  f"(steps {', '.join(map(str, later))}) were not better")
        write_text(self.out / STOPPED_FILE,
                   json.dumps({"step": rows[-1].step, "reason": reason}) + "\n")
        log.warning("%s", reason)
        return True


def _mean(metrics: dict, name: str) -> float | None:
    return metrics[name].mean if name in metrics else None


def _shown(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
