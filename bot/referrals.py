"""Where to turn, by region: emergency number, trafficking hotlines, child-protection route.

Read from `knowledge/referrals.yaml`. Every entry names the library file (`source_id`) that states
it, so the safety layer can cite it like any other sentence, and a test checks that every number
here appears in that file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator

from bot.errors import ConfigError
from bot.models import REGION_PARENT, REGIONS, canonical_region


class Contact(BaseModel):
    """One service: a number to call or text, a web address, when and in which languages."""

    model_config = ConfigDict(extra="forbid")

    name: str
    aliases: list[str] = Field(default_factory=list, description="Other names the library uses for it.")
    call: str | None = None
    text: str | None = None
    tty: str | None = None
    web: HttpUrl | None = None
    hours: str | None = None
    languages: str | None = None
    note: str | None = None
    source_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")

    def numbers(self) -> list[str]:
        return [n for n in (self.call, self.text, self.tty) if n]


class RegionReferrals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emergency: Contact | None = None
    hotlines: list[Contact] = Field(default_factory=list)
    child_protection: list[Contact] = Field(default_factory=list)
    same_as: str | None = Field(None, description="Use another region's entries for what this one leaves out.")

    @field_validator("same_as")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        return canonical_region(value) if value else None

    def contacts(self) -> list[Contact]:
        return ([self.emergency] if self.emergency else []) + self.hotlines + self.child_protection


class Referrals(BaseModel):
    model_config = ConfigDict(extra="forbid")

    regions: dict[str, RegionReferrals]
    without_emergency_number: dict[str, str] = Field(
        default_factory=dict, description="Regions with no confirmed emergency number, each with the reason."
    )

    @field_validator("regions", "without_emergency_number")
    @classmethod
    def _every_region_known(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name not in REGIONS:
                raise ValueError(f"unknown region {name!r}; use one of: {', '.join(REGIONS)}")
        return value

    def numbers(self) -> set[str]:
        """Every number the referrals give, as written."""
        return {n for entry in self.regions.values() for c in entry.contacts() for n in c.numbers()}

    def for_region(self, region: str | None) -> RegionReferrals:
        """The region's referrals, each part taken from the nearest region (same_as, then parent) that has it."""
        chain: list[str] = []
        name: str | None = canonical_region(region) if region else "international"
        while name and name not in chain:
            chain.append(name)
            entry = self.regions.get(name)
            name = (entry.same_as if entry and entry.same_as else None) or REGION_PARENT.get(name)
        entries = [self.regions[n] for n in chain if n in self.regions]
        return RegionReferrals(
            emergency=next((e.emergency for e in entries if e.emergency), None),
            hotlines=next((e.hotlines for e in entries if e.hotlines), []),
            child_protection=next((e.child_protection for e in entries if e.child_protection), []),
        )


def load_referrals(path: Path) -> Referrals:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Referrals.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path} is not a valid referrals file: {problems}") from exc


def numbers_foreign_to(referrals: Referrals, region: str | None) -> frozenset[str]:
    """The referral numbers (as digits) that belong to other jurisdictions than `region`'s: an
    answer never gives one of them as a number to call (none known: every country's number)."""
    own = {re.sub(r"\D", "", n) for c in referrals.for_region(region).contacts() for n in c.numbers()}
    return frozenset(n for n in (re.sub(r"\D", "", n) for n in referrals.numbers()) if n not in own and len(n) >= 6)
