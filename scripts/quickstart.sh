#!/usr/bin/env bash
# The main job on the embedded default: `voxtune demo` fine-tunes the shipped base voice
# model (vox-base) on a voice it never heard, on the CPU, and evaluates the result:
# recordings → prepare → extract → pack → LoRA → merge → eval, each stage printed and
# kept on disk. It ends by printing where the report and the audio are.
#   bash scripts/quickstart.sh                 # into runs/demo
#   bash scripts/quickstart.sh runs/x --quick  # a smoke run of a few minutes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/voxtune demo "$@"
