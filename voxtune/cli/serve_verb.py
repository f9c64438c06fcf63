"""CLI verb of serving: serve."""

import argparse
import dataclasses

from voxtune.cli.common import OVERRIDES_HELP


def add_serve(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "serve", help="HTTP API for the voices and the recognizer (OpenAI's audio API)",
        description="Serve TTS voices and a recognizer over HTTP with OpenAI's audio API "
        "(/v1/audio/speech, /v1/audio/transcriptions, /v1/models), plus /health, /metrics "
        "and /voices. Listens on 127.0.0.1 unless told otherwise; any other address needs "
        "an API key.")
    p.add_argument("overrides", nargs="*", metavar="key=value", help=OVERRIDES_HELP)
    p.add_argument("--model", nargs="+", action="extend", dest="models", metavar="MODEL",
                   help="TTS model folders or shipped names (vox-base); the first model's "
                   "first speaker is the voice 'default'")
    p.add_argument("--voices", help="folder of merged voices and reference clips (a clip "
                   "beside its .lab transcript, usable by its path inside the folder, or "
                   "ID/clip.wav + clip.lab usable as ID)")
    p.add_argument("--default-voice", help="the voice 'default' stands for")
    p.add_argument("--asr", help="recognizer: whisper (default: the packaged Whisper-base), "
                   "pocketsphinx, none, a voxtune ASR model folder or a faster-whisper folder")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1…")
    p.add_argument("--api-key", help="require 'Authorization: Bearer KEY' (default: "
                   "$VOXTUNE_API_KEY); needed for any address but loopback")
    p.add_argument("--max-text-chars", type=int, help="longest text to speak (default 4096)")
    p.add_argument("--max-upload-bytes", type=int,
                   help="largest request body, uploads included (default 25 MiB)")
    p.add_argument("--max-upload-seconds", type=float,
                   help="longest audio to transcribe (default 600)")
    p.add_argument("--max-concurrent", type=int,
                   help="requests served or waiting at once; more get 429 (default 8)")
    p.add_argument("--request-seconds", type=float,
                   help="time limit of a request; past it 504, or a stream ends (default 300)")
    p.add_argument("--workers", type=int, help="synthesis jobs run at once (default 1)")
    p.add_argument("--threads", type=int, help="PyTorch CPU threads (default: all cores)")
    p.add_argument("--config", help="YAML config file of every setting (see --print-config)")
    p.add_argument("--print-config", action="store_true",
                   help="print the resulting config as YAML and exit")
    p.set_defaults(run=_run_serve)


FLAGS = ("models", "voices", "default_voice", "host", "port", "device", "api_key",
         "workers", "threads")
LIMIT_FLAGS = ("max_text_chars", "max_upload_bytes", "max_upload_seconds", "max_concurrent",
               "request_seconds")


def _run_serve(args: argparse.Namespace) -> int:
    from voxtune.config import dump_yaml, load_config
    from voxtune.serve import ServeConfig, serve
    from voxtune.serve.config import asr_choice

    # --model takes several values and so swallows overrides that follow it
    taken = [item for item in args.models or [] if "=" in item]
    args.models = [item for item in args.models or [] if "=" not in item] or None
    config = load_config(ServeConfig, args.config, [*taken, *args.overrides])
    config = dataclasses.replace(config, **{name: getattr(args, name) for name in FLAGS
                                            if getattr(args, name) is not None})
    config.limits = dataclasses.replace(config.limits, **{
        name: getattr(args, name) for name in LIMIT_FLAGS if getattr(args, name) is not None})
    if args.asr is not None:
        config.asr = asr_choice(args.asr)
    if args.print_config:
        shown = dataclasses.replace(config, api_key="***" if config.api_key else None)
        print(dump_yaml(shown), end="")
        return 0
    serve(config)
    return 0
