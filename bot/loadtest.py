"""`bot load`: HTTP latency under concurrent clients, against a running server or one it starts.

A benchmark, not a test: it prints a table (p50/p95/p99, errors, requests per second) and writes
load-<timestamp>.json. Questions are the bench questions, asked round-robin with regions.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import httpx

from bot.bench import QUESTIONS
from bot.config import Settings

REGIONS_ASKED = ["UK", "US", "CA", None]


def _nearest_rank(ordered: list[float], share: float) -> float:
    return round(ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))], 1) if ordered else 0.0


@contextmanager
def _own_server(settings: Settings) -> Iterator[str]:
    """`bot serve` on a free loopback port over the configured index, stopped on exit."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bot = str(Path(sys.executable).with_name("bot"))
    # A capacity measurement: the server's own rate limit would only measure itself.
    env = {**os.environ, "BOT_DATA_DIR": str(settings.data_dir.resolve()),
           "BOT_KNOWLEDGE_DIR": str(settings.knowledge_dir.resolve()), "BOT_RATE_LIMIT_PER_MINUTE": "0"}
    process = subprocess.Popen([bot, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"bot serve exited with status {process.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("bot serve was not ready within 180 s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


async def _drive(url: str, path: str, clients: int, seconds: float) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    failures: dict[str, int] = {}
    stop_at = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < stop_at:
            i = next(counter)
            body = {"question": QUESTIONS[i % len(QUESTIONS)], "region": REGIONS_ASKED[i % len(REGIONS_ASKED)]}
            started = time.perf_counter()
            try:
                response = await http.post(f"{url}{path}", json=body)
                ok = response.status_code == 200
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, reason = False, type(exc).__name__
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures[reason] = failures.get(reason, 0) + 1

    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=120) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return latencies, failures, time.perf_counter() - began


def run_load(settings: Settings, out: Path, url: str | None, clients: int, seconds: float, path: str = "/v1/chat") -> tuple[str, Path]:
    with _own_server(settings) if url is None else nullcontext(url.rstrip("/")) as target:
        latencies, failures, elapsed = asyncio.run(_drive(target, path, clients, seconds))
    ordered = sorted(latencies)
    figures: dict[str, Any] = {
        "url": url or "own bot serve on loopback", "path": path, "clients": clients, "seconds": round(elapsed, 1),
        "requests": len(latencies) + sum(failures.values()), "errors": sum(failures.values()), "errors_by_reason": failures,
        "requests_per_s": round(len(latencies) / elapsed, 2) if elapsed else 0.0,
        "latency_ms_p50": _nearest_rank(ordered, 0.50), "latency_ms_p95": _nearest_rank(ordered, 0.95),
        "latency_ms_p99": _nearest_rank(ordered, 0.99), "latency_ms_max": round(ordered[-1], 1) if ordered else 0.0,
    }
    out.mkdir(parents=True, exist_ok=True)
    report = out / f"load-{time.strftime('%Y%m%d-%H%M%S')}.json"
    report.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    table = "\n".join([
        "| path | clients | seconds | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        "| {path} | {clients} | {seconds} | {requests} | {errors} | {requests_per_s} | {latency_ms_p50} | "
        "{latency_ms_p95} | {latency_ms_p99} | {latency_ms_max} |".format(**figures),
    ])
    return table, report


__all__ = ["run_load"]
