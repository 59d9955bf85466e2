"""The deployment files stay true: the compose file's structure, and every setting named in it or
in the systemd units is one `Settings` reads."""

from __future__ import annotations

import re

import yaml

from bot.config import Settings
from conftest import ROOT

DEPLOY = ROOT / "deploy"


def known_variables() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(f"BOT_{name.upper()}")
        alias = field.validation_alias
        names.update(getattr(alias, "choices", []) if alias else [])
    return names


def test_the_compose_file_runs_chroma_and_the_bot_with_workers_sharing_it() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"chroma", "bot"}
    assert "chroma" in services["chroma"]["command"] and "run" in services["chroma"]["command"]
    bot = services["bot"]
    assert bot["depends_on"]["chroma"]["condition"] == "service_healthy"
    env = bot["environment"]
    assert env["BOT_CHROMA_URL"] == "http://chroma:8000" and int(env["BOT_WORKERS"]) > 1
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"]), "published on loopback, behind a proxy"
    assert set(compose["volumes"]) == {"chroma-data", "bot-data"}
    unknown = {name for name in env if name not in known_variables()}
    assert not unknown, f"compose names settings that do not exist: {unknown}"


def test_the_systemd_units_name_only_real_settings() -> None:
    unit = (DEPLOY / "systemd" / "guidance-assistant.service").read_text(encoding="utf-8")
    named = set(re.findall(r"^Environment=([A-Z_]+)=", unit, re.MULTILINE))
    assert {"BOT_CHROMA_URL", "BOT_WORKERS"} <= named and named <= known_variables()
    assert "Requires=chroma.service" in unit
    chroma = (DEPLOY / "systemd" / "chroma.service").read_text(encoding="utf-8")
    port = re.search(r"--port (\d+)", chroma).group(1)  # type: ignore[union-attr]
    assert f"BOT_CHROMA_URL=http://127.0.0.1:{port}" in unit


def test_the_image_pins_the_cpu_torch() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert "-c constraints.txt" in dockerfile and "torch==2.13.0+cpu" in dockerfile
