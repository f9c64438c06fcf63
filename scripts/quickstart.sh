#!/usr/bin/env bash
# The main job on the embedded default: make the demo corpus (several synthetic voices,
# long unsegmented recordings in mixed formats), prepare it into a clean labelled dataset
# (slicing, loudness, Whisper auto-labelling, quality gate) and print the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
run=${1:-runs/quickstart}
.venv/bin/voxtune demo-data "$run/corpus" --speakers 3 --minutes 1.5 --no-mandarin
.venv/bin/voxtune prepare "$run/corpus/long" "$run/dataset" --num-workers 2
echo "report: $run/dataset/report.txt"
