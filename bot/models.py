"""The data that crosses module and channel boundaries.

`Answer` is the contract every channel renders and the eval harness reads: its field names are
fixed. Add fields freely; never rename one.
"""

from __future__ import annotations

from datetime import date
import re
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

SourceType = Literal["guidance", "publication", "standard", "tool", "law", "hotline", "evidence", "background"]
# Whether a publication's guidance holds anywhere (how to interview, red flags, screening tools,
# trauma-informed care) or is bound to its jurisdiction (laws, reporting duties, hotlines, code sets).
Applicability = Literal["universal", "jurisdiction"]
BOUND_TYPES = ("law", "hotline", "standard")

REGIONS: tuple[str, ...] = (
    "international",
    "Europe",
    "EU",
    "UK",
    "UK-England",
    "UK-Wales",
    "UK-Scotland",
    "UK-NI",
    "US",
    "CA",
    "CA-ON",
)

# Each region's parent: a question about a child region is answered from its ancestors' sources
# too, and one about a parent also draws on its children (UK covers UK-England and UK-Scotland).
REGION_PARENT: dict[str, str] = {
    "Europe": "international",
    "EU": "Europe",
    "UK": "Europe",
    "UK-England": "UK",
    "UK-Wales": "UK",
    "UK-Scotland": "UK",
    "UK-NI": "UK",
    "US": "international",
    "CA": "international",
    "CA-ON": "CA",
}


# A region name as the API documents it (any letter case is accepted and made canonical).
RegionName = Annotated[str, Field(json_schema_extra={"enum": list(REGIONS)})]


def canonical_region(name: str) -> str:
    """The vocabulary's spelling of a region name given in any case, or ValueError naming the vocabulary."""
    for region in REGIONS:
        if region.lower() == name.strip().lower():
            return region
    raise ValueError(f"unknown region {name!r}; use one of: {', '.join(REGIONS)}")


_NAMED_REGIONS: list[tuple[str, re.Pattern[str]]] = [
    ("CA-ON", re.compile(r"\b(?:Ontario|Toronto|Ottawa)\b")),
    ("CA", re.compile(r"\b(?:Canada|Canadian)\b")),
    ("UK-NI", re.compile(r"\bNorthern Ireland\b")),
    ("UK-Scotland", re.compile(r"\b(?:Scotland|Scottish)\b")),
    ("UK-Wales", re.compile(r"\b(?:Wales|Welsh)\b")),
    ("UK-England", re.compile(r"\b(?:England|English NHS)\b")),
    ("UK", re.compile(r"\b(?:UK|U\.K\.|United Kingdom|Britain|British|NHS)\b")),
    ("US", re.compile(r"\b(?:US|U\.S\.|USA|United States|America|American|HIPAA|ICD-10-CM|USCIS)\b")),
    ("EU", re.compile(r"\b(?:EU|European Union)\b")),
    ("Europe", re.compile(r"\b(?:Europe|European|Council of Europe)\b")),
]


def region_named_in(text: str) -> str | None:
    """The jurisdiction a question names itself ("in Ontario", "the NHS"), when it names exactly one."""
    found = [region for region, pattern in _NAMED_REGIONS if pattern.search(text)]
    # A child region implies its parents (Ontario also matches nothing else, England is in the UK).
    specific = [r for r in found if not any(other != r and r in _ancestors(other) for other in found)]
    return specific[0] if len(specific) == 1 else None


def _ancestors(region: str) -> list[str]:
    chain = [region]
    while chain[-1] in REGION_PARENT:
        chain.append(REGION_PARENT[chain[-1]])
    return chain


def applicable_regions(region: str) -> list[str]:
    """Source regions whose guidance applies to a question asked in `region`."""
    region = canonical_region(region)
    related = set(_ancestors(region))
    related.update(r for r in REGIONS if region in _ancestors(r))
    return [r for r in REGIONS if r in related]


class Source(BaseModel):
    """One publication, as described by its file's front matter."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list)
    year: int = Field(ge=1900, le=2100)
    url: HttpUrl
    type: SourceType
    tags: list[str] = Field(default_factory=list)
    region: str
    clinical: bool = True
    reviewed: date | None = None
    verified: list[str] = Field(default_factory=list)
    applies: Applicability | None = Field(
        None, description="universal or jurisdiction; unset: a law, hotline or standard is bound to its jurisdiction, the rest universal"
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        return canonical_region(value)

    @property
    def applicability(self) -> Applicability:
        if self.region == "international":
            return "universal"
        return self.applies or ("jurisdiction" if self.type in BOUND_TYPES else "universal")


class Chunk(BaseModel):
    """A passage of a source, with where it sits in the publication."""

    id: str
    source_id: str
    text: str
    heading_path: list[str] = Field(default_factory=list)
    page: int | None = None
    position: int = 0

    @property
    def locator(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.heading_path:
            parts.append(" > ".join(self.heading_path))
        return " | ".join(parts)


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class Filters(BaseModel):
    """Metadata filters a caller may put on retrieval."""

    model_config = ConfigDict(extra="forbid")

    region: list[RegionName] | None = None
    type: list[SourceType] | None = None
    clinical: bool | None = None

    @field_validator("region")
    @classmethod
    def _known_regions(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [canonical_region(v) for v in value]


class Question(BaseModel):
    """What a channel hands the pipeline."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000, json_schema_extra={"pattern": r"[^\s\x1c-\x1f]"})  # not blank
    region: RegionName | None = None
    history: list[Turn] = Field(default_factory=list, max_length=50)
    filters: Filters | None = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question is empty")
        return value.strip()

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        return canonical_region(value) if value and value.strip() else None


class Evidence(BaseModel):
    n: int
    source_id: str
    rank: int = Field(0, description="Position in the retrieval ranking (1 = best), kept when n is renumbered.")
    chunk_id: str
    score: float
    text: str
    title: str = ""
    publisher: str = ""
    year: int | None = None
    url: str = ""
    region: str = ""
    type: str = ""
    clinical: bool = True
    locator: str = ""
    page: int | None = None


class Citation(BaseModel):
    n: int
    source_id: str
    title: str
    publisher: str
    year: int | None
    url: str
    locator: str
    quote: str


class Flags(BaseModel):
    emergency: bool = False
    out_of_scope: bool = False
    not_covered: bool = False
    fallback_used: bool = False
    pii_removed: bool = False
    refused: bool = False


class Timings(BaseModel):
    triage_ms: float = 0.0
    retrieve_ms: float = 0.0
    answer_ms: float = 0.0
    total_ms: float = 0.0


class Dropped(BaseModel):
    """A model-written sentence the citation check removed, and why."""

    sentence: str
    reason: str


class Answer(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex, description="Quote it in POST /v1/feedback.")
    text: str
    citations: list[Citation] = Field(default_factory=list)
    flags: Flags = Field(default_factory=Flags)
    evidence: list[Evidence] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    region: str | None = None
    answerer: str = "extractive"
    confidence: float = Field(0.0, description="Cosine similarity of the best evidence sentence to the question.")
    query: str = Field("", description="What was searched: the question made stand-alone, identifiers removed.")
    fallback_reason: str | None = Field(None, description="Why the model's answer was replaced by the extractive one.")
    prompt_version: str = Field("", description="The prompts used, as name@version, when a model answered.")
    dropped: list[Dropped] = Field(default_factory=list, description="Sentences the citation check removed.")
