#!/usr/bin/env bash
# Installs what voxtune needs on a Debian or Ubuntu machine, once: the system tools it
# calls (espeak-ng and flite for the demo corpus and the tests, sox; gcc and the Python
# headers to build webrtcvad), a virtual environment
# in .venv, and the pinned Python dependencies. Re-running does nothing unless
# pyproject.toml changed. Set VOXTUNE_TORCH_INDEX to a PyTorch wheel index (for example the
# CPU-only one) to choose the build of torch.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v flite >/dev/null || missing+=(flite)
command -v sox >/dev/null || missing+=(sox)
python_bin=""
for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))'; then
        python_bin=$candidate; break
    fi
done
[ -n "$python_bin" ] || missing+=(python3 python3-venv)
if [ -n "$python_bin" ] && ! "$python_bin" -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=(python3-venv)
fi
# webrtcvad (resemblyzer's voice activity detector) is built from source: C compiler and headers
command -v gcc >/dev/null || missing+=(gcc)
if [ -z "$python_bin" ] || ! "$python_bin" -c 'import os, sys, sysconfig
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'; then
    missing+=(python3-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
    [ -n "$python_bin" ] || python_bin=python3
fi

stamp=.venv/.voxtune-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
echo "setup: creating .venv and installing pinned dependencies (first run takes a few minutes)"
[ -x .venv/bin/python ] || "$python_bin" -m venv .venv
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
torch_pin=$(grep -o '"torch==[^"]*"' pyproject.toml | tr -d '"')
if [ -n "${VOXTUNE_TORCH_INDEX:-}" ]; then
    "${pip[@]}" --index-url "$VOXTUNE_TORCH_INDEX" "$torch_pin"
else
    "${pip[@]}" "$torch_pin"
fi
"${pip[@]}" -e ".[dev]"
# Kokoro's network code for demo-data --device cuda. --no-deps: its declared dependencies
# pull in its G2P pipeline (misaki[en], spaCy, espeak-ng loaders), which voxtune does not
# use and which would replace the pinned phonemizer; what the network needs (torch,
# transformers, huggingface_hub, loguru, attrs) comes with the pins above.
"${pip[@]}" --no-deps kokoro==0.9.4
echo "$want" > "$stamp"
