"""CLI verb `eval`: scoring tools (error rates now)."""

import argparse
from pathlib import Path

from voxtune.cli.common import print_rejects
from voxtune.errors import VoxtuneError


def add_eval(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("eval", help="score results: a folder of speech, or error rates")
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
    folder = tools.add_parser(
        "folder", help="score a folder of audio + texts (+ target voice references)",
        description="Intelligibility (Whisper-base transcript vs text), predicted MOS "
        "(DNSMOS) and speaker similarity to reference recordings, per clip and as means "
        "with 95%% confidence intervals; pass/fail gates (GPT-SoVITS's: MOS > 3.5, "
        "similarity > 0.75, intelligibility > 0.8); OUT/report.json.")
    folder.add_argument("data", type=Path, help="audio with texts, in any layout voxtune reads")
    folder.add_argument("--refs", type=Path, help="folder of the target voice's recordings")
    folder.add_argument("--out", type=Path, required=True, help="report folder")
    folder.add_argument("--language", default="en", help="language of the texts")
    folder.set_defaults(run=_run_folder)


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


def _run_folder(args: argparse.Namespace) -> int:
    from voxtune.eval.folder import evaluate_folder, write_report

    report = evaluate_folder(args.data, references=args.refs, language=args.language,
                             show_progress=not args.quiet)
    for name, metric in report.metrics.items():
        print(f"{name:16s} {metric.mean:.3f}  [{metric.low:.3f}, {metric.high:.3f}]  "
              f"n={metric.count}")
    for name, passed in report.gates.items():
        print(f"gate {name}: {'pass' if passed else 'FAIL'}")
    problems = [row for row in report.clips if row.problem]
    for row in problems:
        print(f"not scored {row.id}: {row.problem}")
    print(f"report: {write_report(report, args.out)}")
    return 0
