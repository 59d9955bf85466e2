"""referrals.yaml: every number is in the library file it cites, and a hotline has one number."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from bot.models import REGIONS
from bot.referrals import Contact, load_referrals
from bot.text import split_sentences
from conftest import KNOWLEDGE

REFERRALS = load_referrals(KNOWLEDGE / "referrals.yaml")
LIBRARY = {p.stem: p.read_text(encoding="utf-8") for p in KNOWLEDGE.glob("*.md") if p.name != "README.md"}
CONTACTS = [
    (region, contact) for region, entry in REFERRALS.regions.items() for contact in entry.contacts()
]
# A phone number: six or more digits, possibly grouped by spaces or hyphens (short codes such as
# 999 or 711 are checked against their cited file instead).
PHONE = re.compile(r"(?<![\w.,-])\+?\d[\d -]{4,}\d(?![\w%-]|[.,]\d)")


def digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def test_every_region_of_the_vocabulary_has_referrals() -> None:
    assert set(REFERRALS.regions) == set(REGIONS)
    for region in REGIONS:
        resolved = REFERRALS.for_region(region)
        assert resolved.hotlines or resolved.child_protection, f"{region} resolves to nothing"


@pytest.mark.parametrize(("region", "contact"), CONTACTS, ids=[f"{r}:{c.name}" for r, c in CONTACTS])
def test_every_entry_is_stated_in_its_cited_library_file(region: str, contact: Contact) -> None:
    assert contact.source_id in LIBRARY, f"{contact.source_id} is not a library file"
    text = LIBRARY[contact.source_id]
    for number in contact.numbers():
        assert number in text, f"{number} does not appear in {contact.source_id}.md"
    if contact.web:
        assert urlparse(str(contact.web)).hostname.removeprefix("www.") in text, "web address from the cited file"


def test_resolution_follows_same_as_and_parents() -> None:
    wales = REFERRALS.for_region("UK-Wales")
    assert wales.emergency and wales.emergency.call == "999"
    assert [c.call for c in wales.child_protection][0] == "0800 043 4303"
    assert REFERRALS.for_region("UK-Scotland").hotlines[0].call == "08000 121 700"
    assert REFERRALS.for_region("CA-ON").hotlines[0].call == "1-833-900-1010"
    assert REFERRALS.for_region("CA-ON").child_protection[0].name == "Children's aid society"
    assert REFERRALS.for_region(None).hotlines[0].name == "Global Modern Slavery Directory"


HOTLINES = {
    contact.name: contact
    for _, entry in REFERRALS.regions.items()
    for contact in entry.hotlines + entry.child_protection
    if contact.numbers()
}


@pytest.mark.parametrize("name", sorted(HOTLINES))
def test_a_hotline_has_the_same_number_everywhere_in_the_library(name: str) -> None:
    """Any number in a library sentence that names the hotline is one of the hotline's numbers."""
    contact = HOTLINES[name]
    names = [re.sub(r"\s*\(.*\)$", "", name).lower()] + [a.lower() for a in contact.aliases]
    numbers = {digits(n) for n in contact.numbers()}
    mentions = 0
    for source_id, text in LIBRARY.items():
        body = text.split("\n---", 1)[-1]  # the front matter's `verified:` notes are not quoted
        for sentence in split_sentences(body):
            if not any(n in sentence.lower() for n in names):
                continue
            for number in PHONE.findall(sentence):
                if len(digits(number)) < 6:
                    continue
                mentions += 1
                assert digits(number) in numbers, (
                    f"{source_id}.md gives {number!r} for {name}; referrals.yaml has {contact.numbers()}"
                )
    assert mentions, f"no library sentence gives a number for {name}"
