#!/usr/bin/env bash
# Train voxtune's shipped base models (`vox-base`) from nothing, with voxtune's own commands:
# a synthetic corpus, VoxCodec, then the VoxTTS base LM; both are copied into
# voxtune/models/vox-base in float16. docs/models.md records the runs.
#
#   bash scripts/train_base_models.sh [RUN_DIR]        # on a GPU
#   CODEC=voxtune/models/vox-base/codec bash scripts/train_base_models.sh   # TTS only
#
# The sizes come from the environment, so the same script smoke-tests on a CPU:
#   SPEAKERS=3 MINUTES=0.5 LONG_MINUTES=0.5 CODEC_CONFIG=codec-tiny CODEC_STEPS=20 TTS_CONFIG=tts-tiny \
#   TTS_STEPS=20 VAL_RECORDS=1 SHIP_TO=/tmp/shipped bash scripts/train_base_models.sh /tmp/base
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/base}
voxtune=${VOXTUNE:-voxtune}
python=${PYTHON:-python3}
speakers=${SPEAKERS:-24}  # the roster's first 24 (voxtune/demo/voices.py BASE_CORPUS_VOICES)
minutes=${MINUTES:-60}  # of clean clips per voice
long_minutes=${LONG_MINUTES:-3}  # of long noisy recordings per voice, through `prepare`
# share of clips saying recombined sentences: text variety, so the LM learns to read
recombined=${RECOMBINED:-0.75}
codec_steps=${CODEC_STEPS:-4000}
tts_steps=${TTS_STEPS:-3234}  # the shipped run (docs/models.md) stopped at 3,234 steps
ship_to=${SHIP_TO:-voxtune/models/vox-base}

$voxtune demo-data "$run/corpus" --speakers "$speakers" --minutes "$minutes" --no-mandarin \
    --no-long --recombined "$recombined" --seed 11
if [ -z "${CODEC:-}" ]; then
    $voxtune train codec "${CODEC_CONFIG:-codec}" "$run/corpus/clips" "$run/codec" \
        trainer.max_steps="$codec_steps" loss.gan_start_step=$((codec_steps / 4)) \
        trainer.save_every=$((codec_steps / 4)) trainer.val_every=$((codec_steps / 8)) \
        trainer.optim.warmup_steps=$((codec_steps / 20)) ${CODEC_ARGS:-}
    "$python" scripts/ship_model.py codec "$(ls -d "$run"/codec/step_* | tail -1)" \
        "$ship_to/codec"
    CODEC=$ship_to/codec
fi
# the TTS LM also hears long noisy recordings as `prepare` slices them, as users' come
$voxtune demo-data "$run/long" --speakers "$speakers" --minutes "$long_minutes" --no-mandarin \
    --no-clips --seed 12
$voxtune prepare "$run/long/long" "$run/prepared"
# one dataset folder of both, by voice, linking to the files (c_: clips, p_: prepared)
for source in c:"$run/corpus/clips" p:"$run/prepared"; do
    for voice in "${source#*:}"/*/; do
        mkdir -p "$run/all/$(basename "$voice")"
        for file in "$voice"*.wav "$voice"*.lab; do
            ln -sf "$(realpath "$file")" "$run/all/$(basename "$voice")/${source%%:*}_$(basename "$file")"
        done
    done
done
# tokens from the shipped (float16) codec, whose id the TTS model records
$voxtune extract "$run/all" --codec "$CODEC"
$voxtune pack "$run/all" "$run/packed"
# validation on held-out records (loss, and text_gain: how much the LM reads). The last
# checkpoint ships: the validation loss bottoms out before the LM has learned to read well
# (docs/models.md); BEST_BY=val/loss ships the checkpoint that minimises it instead.
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
