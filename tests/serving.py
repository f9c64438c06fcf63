"""A real `voxtune serve` process on loopback for the server tests, started and stopped
with bounded waits."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

START_SECONDS = 180  # imports, model and Whisper loading on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(args: list[str], log: Path) -> Iterator[str]:
    """`voxtune serve ARGS` on a free loopback port; yields its base URL once /health
    answers, and stops it afterwards. Its output goes to `log`."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VOXTUNE_API_KEY", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "voxtune", "serve", "--host", "127.0.0.1",
             "--port", str(port), *args], stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"voxtune serve exited with {process.returncode}:\n"
                                   + log.read_text(errors="replace")[-3000:])
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"voxtune serve did not answer in {START_SECONDS} s:\n"
                                   + log.read_text(errors="replace")[-3000:])
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
