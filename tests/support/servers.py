"""Real PostgreSQL and Redis servers on loopback for the tests that need them (Debian's packages).

Each starts in a temporary directory on a free port and is stopped and removed afterwards. When
the binaries are missing, `unavailable_reason()` says why, and tests skip locally (fail in CI).
PostgreSQL's is the benchmarks' own (production.benchmarks), which `--database-url` alone starts.
"""
from __future__ import annotations

import shutil
import subprocess

from production.benchmarks import PostgresServer, free_port, wait_port

__all__ = ["PostgresServer", "RedisServer"]


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def unavailable_reason() -> str | None:
        return None if shutil.which("redis-server") else "Redis is not installed (apt-get install redis-server)"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_port(self.port, self.process, "redis-server")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
