#!/usr/bin/env bash
# Regenerates the Python module of voxtune's packed-dataset schema with the protobuf
# compiler that ships in grpcio-tools (a dev dependency).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m grpc_tools.protoc -I. --python_out=. --pyi_out=. \
    voxtune/data/packed/dataset.proto
