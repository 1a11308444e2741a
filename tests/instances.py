"""Start real service instances for tests: ``moderation serve`` (gunicorn) in a process of its own."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body=None, headers=None, timeout: float = 10) -> tuple[int, dict | None, dict]:
    """Return (status, JSON body, headers) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


def service_env(data_dir: Path, redis_url: str | None = None, **settings: str) -> dict:
    """The environment of an instance: no inherited service settings, this data directory, ``redis_url`` if given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MODERATION_") and k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env["MODERATION_DATA_DIR"] = str(data_dir)
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update({f"MODERATION_{k.upper()}": str(v) for k, v in settings.items()})
    return env


class Instance:
    """``moderation serve`` on 127.0.0.1:<port>; its output goes to ``<data_dir>.log``."""

    def __init__(self, data_dir: Path, port: int | None = None, workers: int = 1, redis_url: str | None = None, **settings):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = service_env(self.data_dir, redis_url, **settings)
        self.workers = workers
        self.log = self.data_dir.with_suffix(".log")
        self.process: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> Instance:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moderation.cli", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the instance exited ({self.process.returncode}):\n{self.output()}")
            try:
                if http("GET", self.base + "/readyz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the instance did not become ready:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> int:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else 0

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``moderation <args>`` with this instance's settings."""
        return subprocess.run(
            [sys.executable, "-m", "moderation.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def __enter__(self) -> Instance:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
