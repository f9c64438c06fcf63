"""CLI verb `eval`: scoring tools (error rates now)."""

import argparse
from pathlib import Path

from voxtune.cli.common import print_rejects
from voxtune.errors import VoxtuneError


def add_eval(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("eval", help="score results: wer (more to come)")
    tools = p.add_subparsers(title="tools", metavar="TOOL", dest="tool")
    wer = tools.add_parser(
        "wer", help="word or character error rate, like Kaldi's compute-wer",
        description="Compare hypotheses with references, both Kaldi text files "
        "('utt-id text' per line), after Whisper-style normalisation; prints each "
        "utterance with errors (worst first) and the summary line "
        "'%%WER 4.35 [ 10 / 230, 2 ins, 3 del, 5 sub ]'.")
    wer.add_argument("ref", type=Path, help="reference text file")
    wer.add_argument("hyp", type=Path, help="hypothesis text file")
    wer.add_argument("--language", default="en",
                     help="en, zh, …: picks the normaliser (zh, ja, th: characters)")
    wer.add_argument("--unit", choices=["word", "char"], help="force WER or CER")
    wer.add_argument("--quiet-utterances", action="store_true",
                     help="only the summary line")
    wer.set_defaults(run=_run_wer)


def _run_wer(args: argparse.Namespace) -> int:
    from voxtune.data.layouts.kaldi import read_table
    from voxtune.eval import error_rate

    rejects: list = []
    tables = []
    for path in (args.ref, args.hyp):
        if not path.is_file():
            raise VoxtuneError(f"{path}: no such file")
        tables.append({key: text for key, (_, text) in read_table(path, rejects).items()})
    print_rejects(rejects, "skipped")
    result = error_rate(tables[0], tables[1], args.language, args.unit)
    if not args.quiet_utterances:
        for utt in sorted(result.utterances, key=lambda u: -u.rate):
            if utt.errors:
                print(f"{utt.id} {100 * utt.rate:.1f}% ref: {utt.reference} | "
                      f"hyp: {utt.hypothesis}")
    print(result.kaldi_line())
    return 0
