"""CLI verb `eval`: error rates, folders of speech, codecs, TTS models, ASR models."""

import argparse
from pathlib import Path

from voxtune.cli.common import print_rejects
from voxtune.errors import VoxtuneError


def add_eval(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("eval", help="score results: error rates, speech, codecs, TTS or "
                         "ASR models")
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
    _scoring_arguments(folder)
    folder.set_defaults(run=_run_folder)
    tts = tools.add_parser(
        "tts", help="synthesize test sentences with a model (and --compare another), score",
        description="Synthesize each sentence of --sentences with --model (and with --compare, "
        "e.g. base against fine-tuned), then score both as 'eval folder' does, plus the "
        "real-time factor and time to first audio; OUT/NAME/ holds the audio, "
        "OUT/report.json the scores.")
    tts.add_argument("--model", required=True, help="VoxTTS model folder")
    tts.add_argument("--compare", help="a second model folder to score the same way")
    tts.add_argument("--sentences", type=Path, required=True, help="one sentence per line")
    tts.add_argument("--speaker", help="speaker the models learned")
    tts.add_argument("--ref-audio", type=Path, help="reference recording (zero-shot prompt)")
    tts.add_argument("--ref-text", help="transcript of the reference recording")
    tts.add_argument("--compare-speaker", help="--compare's voice, when not --model's: a "
                     "speaker it learned…")
    tts.add_argument("--compare-ref-audio", type=Path, help="…or a reference recording (for "
                     "example a base model cloning zero-shot what --model learned)")
    tts.add_argument("--compare-ref-text", help="transcript of --compare-ref-audio")
    tts.add_argument("--codec", help="--model's codec (default: the one recorded in it)")
    tts.add_argument("--compare-codec", help="--compare's codec (default: the one recorded in "
                     "it)")
    tts.add_argument("--device", default="auto")
    _scoring_arguments(tts)
    tts.set_defaults(run=_run_tts)
    codec = tools.add_parser(
        "codec", help="resynthesize labelled clips with a codec and score what it loses",
        description="Encode and decode every labelled clip of DATA with --codec, write the "
        "resynthesis to OUT/resynth/ under the clips' own names (with their transcripts), "
        "then score originals and resynthesis alike: the error rate of a recognizer's "
        "transcript (Whisper-base; WER, CER for zh/ja/th; mean over clips), its increase, "
        "and the speaker similarity of each resynthesis to its own original, overall and "
        "per speaker; OUT/report.json.")
    codec.add_argument("data", type=Path, help="labelled clips in any layout voxtune reads")
    codec.add_argument("--codec", required=True,
                       help="a shipped codec (vox-base), a codec folder or a hub id")
    _asr_arguments(codec)
    codec.add_argument("--embedder", default="resemblyzer",
                       help="speaker embedder: resemblyzer, or package.module:factory")
    codec.add_argument("--device", default="auto",
                       help="where the codec runs (auto: a GPU when there is one)")
    codec.set_defaults(run=_run_codec)
    asr = tools.add_parser(
        "asr", help="decode a labelled set with a voxtune ASR model and score CER/WER",
        description="Transcribe every labelled clip of DATA (ChatML .jsonl, Kaldi, speaker "
        "folders, any layout voxtune reads) with --model, score it after Whisper-style "
        "normalisation (CER for zh/ja/th, WER otherwise) and print compute-wer's line; "
        "OUT/report.json has every utterance (worst first), OUT/report.html the worst ones "
        "with their audio.")
    asr.add_argument("data", type=Path, help="labelled speech in any layout voxtune reads")
    asr.add_argument("--model", type=Path, required=True, help="voxtune ASR model folder")
    asr.add_argument("--out", type=Path, required=True, help="report folder")
    asr.add_argument("--language", default="en", help="language of the texts")
    asr.add_argument("--unit", choices=["word", "char"], help="force WER or CER")
    asr.add_argument("--beam-size", type=int, default=1, help="1: greedy search (default)")
    asr.add_argument("--ctc-weight", type=float,
                     help="weight of the CTC head in joint decoding (default: the model's)")
    asr.add_argument("--batch-size", type=int, default=8, help="clips decoded together")
    asr.add_argument("--device", default="auto")
    asr.set_defaults(run=_run_asr)


def _scoring_arguments(p: argparse.ArgumentParser) -> None:
    """What `eval folder` and `eval tts` both score with, and where the report goes."""
    p.add_argument("--refs", type=Path, help="folder of the target voice's recordings")
    p.add_argument("--others", type=Path, help="folder of other voices' recordings (one "
                   "folder per voice): adds the similarity margin")
    _asr_arguments(p)
    p.add_argument("--run", dest="training_run", type=Path,
                   help="training run folder: its loss curves too")


def _asr_arguments(p: argparse.ArgumentParser) -> None:
    """The texts' language, the recognizer for intelligibility and the report folder: what
    every verb that transcribes the speech it scores takes."""
    p.add_argument("--language", default="en", help="language of the texts")
    p.add_argument("--unit", choices=["word", "char"],
                   help="score intelligibility as WER or CER (default: CER for zh/ja/th, "
                   "WER otherwise)")
    p.add_argument("--asr-model", type=Path,
                   help="score intelligibility with this voxtune ASR model folder instead "
                   "of Whisper-base")
    p.add_argument("--out", type=Path, required=True, help="report folder")


def _asr_config(args: argparse.Namespace):
    """The ASR backend for intelligibility: --asr-model, else the default (Whisper-base)."""
    from voxtune.labeling.backends import AsrConfig

    if args.asr_model is None:
        return None
    return AsrConfig(backend="voxtune", model=str(args.asr_model), fallback="")


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
                             asr=_asr_config(args), others=args.others, unit=args.unit,
                             show_progress=not args.quiet)
    _print_report(report)
    print(f"report: {write_report(report, args.out)}")
    print(f"page: {_write_page({'clips': report}, args.refs, args.training_run, args.out)}")
    return 0


def _write_page(reports: dict, refs: Path | None, run: Path | None, out: Path) -> Path:
    """OUT/report.html for people, beside report.json."""
    from voxtune.eval.html import render_html
    from voxtune.files import write_text

    reference = None
    if refs is not None:
        audio = sorted(p for p in refs.rglob("*") if p.suffix.lower() in (".wav", ".flac"))
        reference = audio[0] if audio else None
    page = render_html(reports, {name: reference for name in reports} if reference else None,
                       run=run)
    write_text(out / "report.html", page)
    return out / "report.html"


def _print_report(report, title: str = "") -> None:
    for name, metric in report.metrics.items():
        print(f"{title}{name:16s} {metric.mean:.3f}  [{metric.low:.3f}, {metric.high:.3f}]  "
              f"n={metric.count}")
    for name, passed in report.gates.items():
        print(f"{title}gate {name}: {'pass' if passed else 'FAIL'}")
    for row in report.clips:
        if row.problem:
            print(f"{title}not scored {row.id}: {row.problem}")


def _run_tts(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from voxtune.eval.tts import VoiceSpec, evaluate_tts, read_sentences
    from voxtune.files import write_text

    sentences = read_sentences(args.sentences)
    voice = VoiceSpec(speaker=args.speaker, ref_audio=args.ref_audio, ref_text=args.ref_text)
    other = VoiceSpec(speaker=args.compare_speaker, ref_audio=args.compare_ref_audio,
                      ref_text=args.compare_ref_text)
    runs = {"model": (args.model, voice, args.codec)}
    if args.compare:
        runs["compare"] = (args.compare, other if other.speaker or other.ref_audio else voice,
                           args.compare_codec)
    reports = {}
    for name, (model, spec, codec) in runs.items():
        reports[name] = evaluate_tts(model, sentences, args.out, spec, references=args.refs,
                                     codec=codec, language=args.language, name=name,
                                     device=args.device, asr=_asr_config(args),
                                     others=args.others, unit=args.unit,
                                     show_progress=not args.quiet)
        _print_report(reports[name], f"{name}: ")
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "report.json", json.dumps(
        {name: asdict(report) for name, report in reports.items()}, indent=2,
        ensure_ascii=False))
    print(f"report: {args.out / 'report.json'}")
    print(f"page: {_write_page(reports, args.refs, args.training_run, args.out)}")
    return 0


def _run_codec(args: argparse.Namespace) -> int:
    from voxtune.eval.codec import evaluate_codec, write_codec_report

    report = evaluate_codec(args.data, args.codec, args.out, language=args.language,
                            asr=_asr_config(args), embedder=args.embedder,
                            device=args.device, unit=args.unit,
                            show_progress=not args.quiet)
    for row in report.clips:
        if row.problem:
            print(f"skipped {row.id}: {row.problem}")
    name = "WER" if report.unit == "word" else "CER"
    print(f"codec {report.codec} ({report.codec_source}), clips: {report.num_clips} scored, "
          f"{report.num_skipped} skipped; {name} is the mean over clips")
    print(f"{'':16s} {name + ' original':>12s} {name + ' resynth':>12s} {'increase':>9s} "
          f"{'similarity':>10s} {'lowest':>7s}")
    for title, metrics in (("all", report.metrics), *report.speakers.items()):
        print(f"{title:16s} {metrics['original_error_rate'].mean:12.3f} "
              f"{metrics['resynth_error_rate'].mean:12.3f} "
              f"{metrics['error_rate_increase'].mean:+9.3f} "
              f"{metrics['resynth_similarity'].mean:10.3f} "
              f"{metrics['resynth_similarity_min'].mean:7.3f}")
    if report.no_speech:
        print(f"{report.no_speech} resyntheses had no speech the embedder could find "
              "(scored similarity 0)")
    print(f"resynthesis: {args.out / 'resynth'}")
    print(f"report: {write_codec_report(report, args.out)}")
    return 0


def _run_asr(args: argparse.Namespace) -> int:
    from voxtune.asr.decode import DecodeOptions
    from voxtune.eval.asr import evaluate_asr, write_asr_report

    options = DecodeOptions(beam_size=args.beam_size, batch_size=args.batch_size,
                            ctc_weight=args.ctc_weight)
    report = evaluate_asr(args.model, args.data, language=args.language, unit=args.unit,
                          options=options, device=args.device, show_progress=not args.quiet)
    for row in report.utterances:
        if row.problem:
            print(f"not scored {row.id}: {row.problem}")
    rtf = report.metrics["real_time_factor"].mean
    print(f"{report.summary}  (real-time factor {rtf:.3f} on {report.device})")
    json_path, page = write_asr_report(report, args.out)
    print(f"report: {json_path}")
    print(f"page: {page}")
    return 0
