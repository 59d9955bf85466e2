"""The README stays true: every setting documented, the two commands named and real."""

from __future__ import annotations

import re

from bot.config import Settings
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(BOT_[A-Z_]+)` \| ([^|]*) \|", README, flags=re.MULTILINE))
    for name, field in Settings.model_fields.items():
        variable = f"BOT_{name.upper()}"
        assert variable in rows, f"{variable} is not documented in the README settings table"
        default = field.default
        shown = rows[variable].strip()
        expected = "empty" if default == "" else f"`{default}`"
        assert shown == expected, f"{variable}: README says {shown}, code says {expected}"
    assert set(rows) == {f"BOT_{n.upper()}" for n in Settings.model_fields}, "README documents a setting that does not exist"


def test_the_two_commands_are_named_and_wired() -> None:
    assert "make run" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.MULTILINE) and re.search(r"^test:", makefile, re.MULTILINE)
    assert "exec make test" in (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "-c constraints.txt" in makefile
    assert "torch==2.13.0+cpu" in (ROOT / "constraints.txt").read_text(encoding="utf-8")
