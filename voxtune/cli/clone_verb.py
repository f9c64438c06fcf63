"""CLI verb `clone`: recordings of one voice to a fine-tuned voice, chosen by measurement."""

import argparse
from pathlib import Path


def add_clone(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "clone", help="my recordings → my voice: prepare, fine-tune, keep the best checkpoint",
        description="Prepare the recordings (long unlabelled recordings or labelled clips in "
        "any layout prepare reads), hold out a share of the voice's clips and sentences it "
        "never said, extract, pack, fine-tune the voice's decoder and the LM (LoRA), score "
        "every evaluated checkpoint (CER, similarity, margin, DNSMOS on the held-out "
        "sentences and clips), keep the best by a stated rule, stop when quality stops "
        "improving, merge it into OUT/voice and write OUT/index.html. Every command is "
        "printed before it runs; running clone again continues where it stopped.")
    p.add_argument("recordings", type=Path, help="the voice's recordings (a file or folder)")
    p.add_argument("out", type=Path, help="folder for every stage's output")
    p.add_argument("--language", default="en", help="the recordings' language: en, zh or es")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda…")
    p.add_argument("--minutes-budget", type=float, default=20.0,
                   help="wall-clock minutes for the two training stages (default 20)")
    p.add_argument("--base", default="vox-base", help="TTS model to fine-tune")
    p.add_argument("--codec", default="vox-base", help="its codec")
    p.add_argument("--others", type=Path,
                   help="folder of other voices' recordings (one folder per voice): adds the "
                   "similarity margin, which then picks the best checkpoint")
    p.add_argument("--num-workers", type=int, default=2, help="preparation processes")
    p.add_argument("--quick", action="store_true", help="a smoke run of a few steps")
    p.set_defaults(run=_run_clone)


def _run_clone(args: argparse.Namespace) -> int:
    from voxtune.cli import main
    from voxtune.clone.job import ClonePlan, run_clone

    plan = ClonePlan(recordings=args.recordings, out=args.out, language=args.language,
                     device=args.device, minutes_budget=args.minutes_budget, base=args.base,
                     codec=args.codec, others=args.others, num_workers=args.num_workers,
                     quick=args.quick)
    quiet = ["-q"] if args.quiet else []
    result = run_clone(plan, lambda argv: main([*quiet, *argv]))
    print(f"\nchosen: {result.why}")
    print(f"voice: {result.voice} (voxtune synthesize --model {result.voice} "
          f"--speaker {result.held_out.voice} …)")
    print(f"report: {result.page}")
    return 0
