"""`voxtune demo`: the whole fine-tuning job on the shipped base model, as a user would type it.

A voice that the base model never heard (held out of its corpus) records about ten minutes
of long, unsegmented speech; then the ordinary commands run one after the other, each
printed before it runs and each leaving its output on disk, so any step can be inspected
or re-run alone:

    demo-data → prepare → extract → pack → train tts (LoRA, CPU) → merge → eval tts --compare

The report compares the base model cloning the voice zero-shot from a reference recording
with the fine-tuned model speaking it by name, on sentences that were never in any data.
"""

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voxtune.demo.voices import BASE_CORPUS_VOICES, HELD_OUT_VOICES, voices
from voxtune.errors import VoxtuneError
from voxtune.train.checkpoints import latest_checkpoint

TEST_SENTENCES = Path(__file__).parent / "sentences_en_test.txt"


@dataclass
class DemoPlan:
    """What the demo runs. `quick` is a smoke run: less speech, a few training steps, fewer
    sentences and comparison voices; it shows the pipeline, not a good voice."""

    out: Path
    base: str = "vox-base"  # the TTS model to fine-tune (a shipped name or a folder)
    codec: str = "vox-base"  # its codec
    voice: str = HELD_OUT_VOICES[0]
    minutes: float = 10.0
    quick: bool = False
    device: str = "cpu"
    num_workers: int = 2

    @property
    def sentences(self) -> int:
        return 3 if self.quick else 20

    @property
    def other_voices(self) -> list[str]:
        """Base-corpus voices whose recordings the similarity margin compares against."""
        roster = [v.name for v in voices(BASE_CORPUS_VOICES, include_mandarin=False)]
        return roster[:4] if self.quick else roster


Runner = Callable[[list[str]], int]


def run_demo(plan: DemoPlan, run: Runner, echo: Callable[[str], None] = print) -> Path:
    """Run every stage through `run` (the `voxtune` command's entry point); returns the
    report folder. Stages are resumable, so a second run continues where one stopped."""
    out = plan.out
    minutes = min(plan.minutes, 2.0) if plan.quick else plan.minutes
    steps = ["trainer.max_steps=8", "trainer.save_every=8"] if plan.quick else []
    refs = out / "references" / "clips"
    _stage(run, echo, ["demo-data", str(out / "recordings"), "--voices", plan.voice,
                       "--minutes", f"{minutes:g}", "--no-clips", "--seed", "1"])
    _stage(run, echo, ["demo-data", str(out / "references"), "--voices",
                       ",".join([plan.voice, *plan.other_voices]), "--minutes", "0.5",
                       "--no-long", "--seed", "2"])
    _stage(run, echo, ["prepare", str(out / "recordings" / "long"), str(out / "dataset"),
                       "--num-workers", str(plan.num_workers)])
    _stage(run, echo, ["extract", str(out / "dataset"), "--codec", plan.codec,
                       "--device", plan.device])
    _stage(run, echo, ["pack", str(out / "dataset"), str(out / "packed")])
    _stage(run, echo, ["train", "tts", "tts-demo", str(out / "packed"), str(out / "finetune"),
                       f"backbone.pretrained={plan.base}", f"trainer.device={plan.device}",
                       *steps])
    checkpoint = latest_checkpoint(out / "finetune")
    if checkpoint is None:
        raise VoxtuneError(f"{out / 'finetune'}: training left no checkpoint")
    _stage(run, echo, ["merge", "--lora", str(checkpoint), "--output", str(out / "model")])
    sentences = out / "test_sentences.txt"
    lines = TEST_SENTENCES.read_text(encoding="utf-8").splitlines()[:plan.sentences]
    sentences.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the base model clones the voice from one of the user's own prepared clips
    prepared = sorted((out / "dataset" / plan.voice).glob("*.wav"))
    if not prepared:
        raise VoxtuneError(f"{out / 'dataset' / plan.voice}: preparation kept no clip of the "
                           f"voice; {out / 'dataset' / 'report.txt'} says why")
    reference = prepared[0]
    report = out / "report"
    _stage(run, echo, ["eval", "tts", "--model", str(out / "model"), "--speaker", plan.voice,
                       "--compare", plan.base, "--compare-ref-audio", str(reference),
                       "--compare-ref-text",
                       reference.with_suffix(".lab").read_text(encoding="utf-8").strip(),
                       "--sentences", str(sentences), "--refs", str(refs / plan.voice),
                       "--codec", plan.codec,
                       "--others", str(refs), "--device", plan.device,
                       "--run", str(out / "finetune"), "--out", str(report)])
    return report


def _stage(run: Runner, echo: Callable[[str], None], argv: list[str]) -> None:
    echo(f"\n$ voxtune {shlex.join(argv)}")
    status = run(argv)
    if status != 0:
        raise VoxtuneError(f"the stage 'voxtune {argv[0]}' failed (exit status {status}); "
                           "fix what it reported and run the demo again: finished stages "
                           "are kept")
