#!/usr/bin/env bash
# Sets up what the tests need, then runs the linter and the test suite (CPU only; tests
# marked gpu are skipped without CUDA). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check voxtune tests bench
.venv/bin/python -m pytest -q "$@"
