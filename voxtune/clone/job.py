"""`voxtune clone RECORDINGS OUT`: a person's recordings to their voice, in one command.

The stages are voxtune's own commands, each printed before it runs and leaving its output
in OUT, so any of them can be inspected or run again alone:

    prepare → (one voice, enough speech, its language) → hold out a share of its clips →
    extract → pack → train codec (the voice's decoder) → train tts (LoRA, each checkpoint
    scored on held-out sentences through that decoder) → merge the best checkpoint →
    eval tts --compare (against the base model cloning the voice zero-shot)

Which checkpoint is best is measured, not guessed (`voxtune.tts.quality`): the held-out
sentences were never in any data, the voice's held-out clips are never trained on or used
as a prompt, and the rule is stated in `OUT/finetune/best.json`. Running the same command
again continues where it stopped: finished stages are skipped by their markers (a training
stage that ended by its time budget is finished, not trained further), an interrupted
training resumes from its last checkpoint, and a stage killed half-way left nothing that
looks done.
"""

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import soundfile

from voxtune.clone.holdout import HeldOut, check_speech, hold_out
from voxtune.clone.page import write_clone_page
from voxtune.demo.speech import held_out_sentences
from voxtune.errors import VoxtuneError
from voxtune.files import write_text
from voxtune.text.language import canonical_language
from voxtune.train.checkpoints import latest_checkpoint
from voxtune.tts.quality import BEST_LINK, read_quality, stop_reason

Runner = Callable[[list[str]], int]
DONE_MARK = ".done"


@dataclass
class ClonePlan:
    """What `clone` runs. `minutes_budget` bounds the two training stages' wall time (a
    third for the decoder, the rest for the LM); `quick` is a smoke run of a few steps."""

    recordings: Path
    out: Path
    language: str = "en"
    device: str = "cpu"
    minutes_budget: float = 20.0
    base: str = "vox-base"
    codec: str = "vox-base"
    others: Path | None = None  # other voices' recordings: the similarity margin
    num_workers: int = 2
    quick: bool = False
    page: str = "index.html"  # the report page's name in `out`

    def __post_init__(self) -> None:
        self.language = canonical_language(self.language)
        self.recordings, self.out = Path(self.recordings), Path(self.out)

    @property
    def sentences(self) -> int:
        return 2 if self.quick else 8

    @property
    def lm_steps(self) -> tuple[int, int, int]:
        """(max steps, evaluate every, patience) of the LM fine-tune."""
        return (4, 2, 0) if self.quick else (160, 20, 3)


@dataclass
class CloneResult:
    voice: Path  # the merged voice, ready for synthesize and serve
    page: Path
    held_out: HeldOut
    best_step: int
    why: str
    commands: list[list[str]]


def run_clone(plan: ClonePlan, run: Runner, echo: Callable[[str], None] = print
              ) -> CloneResult:
    """Run every stage through `run` (the `voxtune` entry point); see the module docstring."""
    out = plan.out
    commands: list[list[str]] = []

    def stage(*argv: str | Path, done: Path | None = None) -> None:
        commands.append([str(arg) for arg in argv])
        if done is not None and done.exists():
            echo(f"\n$ voxtune {shlex.join(commands[-1])}   (done)")
            return
        run_stage(run, echo, commands[-1])
        if done is not None and done.suffix == DONE_MARK:
            write_text(done, "")

    dataset = out / "dataset"
    stage("prepare", plan.recordings, dataset, "--num-workers", str(plan.num_workers),
          f"language={plan.language}", done=out / f"prepare{DONE_MARK}")
    check_speech(dataset, plan.language)
    held = hold_out(dataset, out / "heldout")
    echo(f"held out {held.clips} clips ({held.seconds:.0f} s) of {held.voice} to measure the "
         f"voice; {held.training_clips} clips ({held.training_seconds / 60:.1f} min) train it")
    sentences = out / "test_sentences.txt"
    if not sentences.is_file():
        lines = held_out_sentences(plan.language)[:plan.sentences]
        write_text(sentences, "\n".join(lines) + "\n")
    stage("extract", dataset, "--codec", plan.codec, "--device", plan.device)
    stage("pack", dataset, out / "packed", done=out / f"pack{DONE_MARK}")
    minutes = plan.minutes_budget
    quick = ["trainer.max_steps=4", "trainer.save_every=2"] if plan.quick else []
    stage("train", "codec", "codec-demo", dataset, out / "decoder", f"init_from={plan.codec}",
          f"trainer.device={plan.device}", f"trainer.time_limit_minutes={minutes / 3:g}",
          *quick, done=out / f"decoder{DONE_MARK}")
    decoder = _trained(out / "decoder")
    steps, every, patience = plan.lm_steps
    others = [f"eval.others={plan.others}"] if plan.others else []
    stage("train", "tts", "tts-demo", out / "packed", out / "finetune",
          f"backbone.pretrained={plan.base}", f"trainer.device={plan.device}",
          f"trainer.max_steps={steps}", f"trainer.save_every={every}",
          f"trainer.time_limit_minutes={minutes * 2 / 3:g}", f"eval.every={every}",
          f"eval.sentences={sentences}", f"eval.refs={held.folder / held.voice}",
          f"eval.speaker={held.voice}", f"eval.language={plan.language}",
          f"eval.codec={decoder}", f"eval.patience={patience}", *others,
          done=out / f"finetune{DONE_MARK}")
    best = out / "finetune" / BEST_LINK
    if not best.exists():
        raise VoxtuneError(f"{out / 'finetune'}: no checkpoint was evaluated; run clone "
                           "again to continue training")
    voice = out / "voice"
    stage("merge", "--lora", best, "--codec", decoder, "--output", voice, done=voice)
    reference = _reference_clip(dataset, held.voice)
    report = out / "report"
    stage("eval", "tts", "--model", voice, "--speaker", held.voice, "--compare", plan.base,
          "--compare-codec", plan.codec, "--compare-ref-audio", reference,
          "--compare-ref-text", reference.with_suffix(".lab").read_text(encoding="utf-8").strip(),
          "--sentences", sentences, "--refs", held.folder / held.voice,
          *(["--others", plan.others] if plan.others else []),
          "--device", plan.device, "--language", plan.language, "--unit", "char",
          "--run", out / "finetune", "--out", report, done=report / "report.html")
    rows = read_quality(out / "finetune")
    best_step = int(best.resolve().name.removeprefix("step_"))
    why = _why(out / "finetune", best_step, rows, steps)
    page = write_clone_page(out / plan.page, held, rows, best_step, why, commands)
    return CloneResult(voice=voice, page=page, held_out=held, best_step=best_step, why=why,
                       commands=commands)


def _why(run: Path, best_step: int, rows: list, steps: int) -> str:
    """The chosen checkpoint and why training stopped where it did."""
    rule = json.loads((run / "best.json").read_text(encoding="utf-8"))["rule"]
    stopped = stop_reason(run)
    last = rows[-1].step if rows else 0
    if stopped is None:
        stopped = (f"training reached its {steps} steps" if last >= steps else
                   f"the time budget ended training at step {last}")
    return f"step {best_step}: the {rule}. Training stopped because {stopped}."


def _reference_clip(dataset: Path, voice: str) -> Path:
    """A training clip of the voice (never a held-out one) for the base model's zero-shot
    clone: the longest under 10 s, a usual prompt length."""
    clips = sorted((dataset / voice).glob("*.wav"))
    if not clips:
        raise VoxtuneError(f"{dataset / voice}: preparation kept no clip of the voice; "
                           f"{dataset / 'report.txt'} says why")
    lengths = {clip: soundfile.info(clip).duration for clip in clips}
    short = [clip for clip in clips if lengths[clip] <= 10.0] or clips
    return max(short, key=lambda clip: lengths[clip])


def _trained(run_folder: Path) -> Path:
    checkpoint = latest_checkpoint(run_folder)
    if checkpoint is None:
        raise VoxtuneError(f"{run_folder}: training left no checkpoint")
    return checkpoint


def run_stage(run: Runner, echo: Callable[[str], None], argv: list[str],
              job: str = "clone") -> None:
    """Print `voxtune ARGV`, run it through `run`, and stop `job` (clone, the demo) with a
    message naming the stage when it fails."""
    echo(f"\n$ voxtune {shlex.join(argv)}")
    status = run(argv)
    if status != 0:
        verb = " ".join(argv[:2] if argv[0] in ("eval", "train") else argv[:1])
        raise VoxtuneError(f"the stage 'voxtune {verb}' failed (exit status {status}); "
                           f"fix what it reported and run {job} again: finished stages are "
                           "kept")

