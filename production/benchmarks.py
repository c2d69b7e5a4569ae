"""Benchmarks run as production runs, and a throw-away PostgreSQL for them (and for the tests).

`bench_children(command, args, database_url=…)` runs a benchmark command (bench_board, bench_analytics)
in two child processes: one builds its data (`--build-into FILE`), a fresh one measures
(`--measure-from FILE`), as a web worker serves and not in a process that just made two million model
objects; both with DEBUG off and connections kept between requests (config.settings.production), on
`database_url` migrated first. `database_url=START_POSTGRES` (`--database-url` alone) starts a
PostgreSQL of Debian's packages on a free loopback port in a temporary directory for the run.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

START_POSTGRES = "start"  # `--database-url` given without a URL


def bench_children(command: str, args: list[str], *, database_url: str | None, stderr) -> None:
    """Build, then measure in a fresh process: `manage.py <command> --build-into F <args>`, then
    `--measure-from F <args>`, with DEBUG off and CONN_MAX_AGE 60 (on a throw-away PostgreSQL for
    START_POSTGRES)."""
    if database_url == START_POSTGRES:
        reason = PostgresServer.unavailable_reason()
        if reason:
            raise CommandError(reason)
        with PostgresServer() as server:
            stderr.write(f"started PostgreSQL on {server.url}")
            return _children(command, args, database_url=server.url)
    return _children(command, args, database_url=database_url)


def _children(command: str, args: list[str], *, database_url: str | None) -> None:
    env = {"DATABASE_CONN_MAX_AGE": "60", **os.environ, "DJANGO_DEBUG": "false"}
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    if database_url:
        env["DATABASE_URL"] = database_url
    # Migrated first, whichever database: a fresh checkout's SQLite file has no tables yet.
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    with tempfile.NamedTemporaryFile(suffix=".json", prefix=f"{command}-") as built:
        for step in (["--build-into", built.name], ["--measure-from", built.name]):
            done = subprocess.run([*manage, command, *step, *args], env=env)
            if done.returncode:
                raise CommandError(f"{command} {step[0]} failed (exit status {done.returncode})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout} s")


def as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresServer:
    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="seamline-pg-"))
        self.process: subprocess.Popen | None = None

    @staticmethod
    def bin_dir() -> Path | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        return Path(found[-1]).parent if found else None

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if cls.bin_dir() is None:
            return "PostgreSQL is not installed (apt-get install postgresql)"
        if os.geteuid() == 0 and shutil.which("runuser") is None:
            return "running as root without runuser"
        return None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/seamline"

    def start(self) -> PostgresServer:
        bin_dir = self.bin_dir()
        data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                          "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
        self.log = open(self.dir / "postgres.log", "w")
        self.process = subprocess.Popen(
            as_postgres_user([str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1",
                               "-k", str(self.dir), "-c", "fsync=off", "-c", "synchronous_commit=off",
                               "-c", "full_page_writes=off", "-c", "max_connections=100"]),
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        wait_port(self.port, self.process, "postgres")
        for _ in range(50):
            done = subprocess.run(as_postgres_user([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                                                     "-U", "postgres", "seamline"]), capture_output=True)
            if done.returncode == 0:
                break
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
