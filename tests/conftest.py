"""Shared fixtures: real embedding model, real Chroma, on temporary data directories."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Any
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
BOT = str(Path(sys.executable).with_name("bot"))

from bot.config import Settings  # noqa: E402
from bot.index import Index  # noqa: E402
from bot.ingest.run import ingest  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_bot_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's BOT_* variables or .env file."""
    for name in list(os.environ):
        if name.startswith(("BOT_", "SLACK_", "MICROSOFT_APP_")):
            monkeypatch.delenv(name)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(**{"data_dir": data_dir, "knowledge_dir": KNOWLEDGE, "_env_file": None, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped library, indexed once for the whole session."""
    data_dir = tmp_path_factory.mktemp("library-index")
    index = Index(make_settings(data_dir))
    report = ingest([KNOWLEDGE], index)
    assert report.ok, report.rejected
    return data_dir


@pytest.fixture(scope="session")
def library_pipeline(library_dir: Path) -> Pipeline:
    pipeline = Pipeline(make_settings(library_dir))
    pipeline.warm_up()
    return pipeline


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before it was ready")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} was not ready within {timeout} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextmanager
def background(command: list[str], ready_url: str, what: str, timeout: float = 120, **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
    """A server process, waited for until `ready_url` answers 200, stopped on exit."""
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    process = subprocess.Popen(command, **popen)
    try:
        wait_until(lambda: httpx.get(ready_url, timeout=2).status_code == 200, timeout, what, process)
        yield process
    finally:
        stop(process)


def chroma_command(port: int, path: Path) -> list[str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI comes with the chromadb package; reinstall with `make setup`"
    return [chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)]


CHROMA_ENV = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    """A real `chroma run` on loopback, stopped when the test ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with background(chroma_command(port, tmp_path / "chroma-server"), f"{url}/api/v2/heartbeat", "chroma run", 60, env=CHROMA_ENV):
        yield url


def bot_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "SLACK_", "MICROSOFT_APP_"))}
    env.update({"BOT_DATA_DIR": str(data_dir), "BOT_KNOWLEDGE_DIR": str(KNOWLEDGE), **extra})
    return env


def run_bot(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # A neutral working directory, so no developer .env is read.
    return subprocess.run(
        [BOT, *args], env=env, cwd=cwd or tempfile.gettempdir(), capture_output=True, text=True, timeout=600
    )


@contextmanager
def serving_bot(data_dir: Path, cwd: Path, **extra_env: str) -> Iterator[str]:
    """A real `bot serve` on a free loopback port, stopped on exit; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with background([BOT, "serve", "--host", "127.0.0.1", "--port", str(port)], f"{base}/healthz", "bot serve",
                    env=bot_env(data_dir, **extra_env), cwd=cwd):
        yield base


@dataclass(frozen=True)
class LiveServer:
    url: str
    feedback_url: str


@pytest.fixture(scope="session")
def live_server(library_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`bot serve` over the shipped library, shared by the tests that need a real server, with a
    feedback database of its own."""
    folder = tmp_path_factory.mktemp("live-server")
    feedback_url = f"sqlite:///{folder / 'feedback.db'}"
    with serving_bot(library_dir, folder, BOT_FEEDBACK_DB_URL=feedback_url, BOT_RATE_LIMIT_PER_MINUTE="0") as base:
        yield LiveServer(base, feedback_url)
