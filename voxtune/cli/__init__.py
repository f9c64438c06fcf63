"""The `voxtune` command: one verb per pipeline stage, each a thin wrapper over a function.

Every verb calls the Python function of the same name with the same arguments, so the
CLI, the tests and Python users share one entry point. User errors (`VoxtuneError`) are
printed as one line, without a traceback, and exit with status 2.
"""

import argparse
import logging
import sys

from voxtune import __version__
from voxtune.cli import (
    asr_verbs,
    clone_verb,
    data_verbs,
    demo_verb,
    eval_verbs,
    serve_verb,
    train_verbs,
    tts_verbs,
)
from voxtune.errors import VoxtuneError


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # key=value overrides may come anywhere, also after options; argparse stops collecting
    # positionals at the first option, so the leftovers are gathered here.
    args, extra = parser.parse_known_args(argv)
    overrides = [item for item in extra if "=" in item and not item.startswith("-")]
    if len(overrides) != len(extra) or (overrides and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if overrides:
        args.overrides = [*args.overrides, *overrides]
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "run"):
        parser.print_help()
        return 1
    try:
        return args.run(args) or 0
    except VoxtuneError as exc:
        print(f"voxtune {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"voxtune {args.verb}: interrupted; finished files are kept and the next run "
              "picks up where this one stopped", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxtune",
        description="From your own recordings to a fine-tuned voice (TTS) or recognizer (ASR).",
        epilog="Run 'voxtune VERB --help' for the options of a stage.")
    parser.add_argument("--version", action="version", version=f"voxtune {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    verbs = parser.add_subparsers(title="stages", metavar="VERB", dest="verb")
    demo_verb.add_demo(verbs)
    clone_verb.add_clone(verbs)
    data_verbs.add_demo_data(verbs)
    data_verbs.add_prepare(verbs)
    data_verbs.add_convert(verbs)
    data_verbs.add_extract(verbs)
    data_verbs.add_pack(verbs)
    train_verbs.add_train(verbs)
    tts_verbs.add_merge(verbs)
    tts_verbs.add_synthesize(verbs)
    asr_verbs.add_transcribe(verbs)
    eval_verbs.add_eval(verbs)
    serve_verb.add_serve(verbs)
    return parser
