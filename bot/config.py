"""All configuration, read once from `BOT_*` environment variables (and `.env`).

Every field here is documented in the README's settings table; a test keeps the two in step.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Nothing may wait on a model hub or phone home: set before any library reads them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _also(name: str) -> AliasChoices:
    """A setting read from BOT_<NAME> or from the platform's own variable name."""
    return AliasChoices(f"BOT_{name}", name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path(".data"), description="Where the embedded index and BM25 files live.")
    knowledge_dir: Path = Field(Path("knowledge"), description="The library ingested by default.")
    chroma_url: str = Field(
        "", description="Empty: embedded Chroma under the data dir. `http://host:port`: a Chroma server."
    )
    collection_prefix: str = Field("guidance", description="Prefix of the Chroma collection names.")
    region: str = Field("", description="Default jurisdiction when a question names none (e.g. UK, US, CA).")
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="hybrid: dense and BM25 fused; dense or bm25 alone (for comparison in `bot eval`)."
    )
    top_k: int = Field(5, ge=1, le=20, description="Evidence passages given to the answerer.")
    candidates: int = Field(30, ge=5, le=200, description="Dense and BM25 candidates each, before fusion.")
    rrf_k: int = Field(20, ge=1, description="Reciprocal-rank-fusion constant (chosen on the golden set's dev split).")
    region_boost: float = Field(
        0.5, ge=0.0, le=2.0,
        description="Extra fused score, as a fraction, for evidence from the question's own region rather than international.",
    )
    chunk_size: int = Field(900, ge=200, le=4000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(120, ge=0, le=1000, description="Characters shared by neighbouring chunks.")
    max_answer_sentences: int = Field(5, ge=1, le=12, description="Sentences in an extractive answer.")
    sentence_ranker: bool = Field(
        True, description="Order an extractive answer's sentences by the trained sentence ranker (bot ranker build); off: by similarity."
    )
    min_relevance: float = Field(
        0.37,
        ge=0.0,
        le=1.0,
        description="Relevance (cosine plus word-overlap bonus) the best evidence sentence must reach, else 'not covered'.",
    )
    min_sentence_relevance: float = Field(
        0.30, ge=0.0, le=1.0, description="Cosine similarity a sentence needs to join an extractive answer."
    )
    llm_base_url: str = Field(
        "", description="OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1). Empty: offline extractive answers."
    )
    llm_model: str = Field("", description="Model name sent to the endpoint.")
    llm_api_key: str = Field("", description="API key for the endpoint; falls back to OPENAI_API_KEY.")
    llm_timeout_s: float = Field(20.0, gt=0, le=300, description="Time one model answer may take, streaming included.")
    llm_max_tokens: int = Field(700, ge=50, le=8000, description="Most tokens a model may write for one answer.")
    llm_max_retries: int = Field(2, ge=0, le=5, description="Retries of the model HTTP call (with backoff and jitter).")
    citation_support: float = Field(
        0.8, ge=0.0, le=1.5, description="Support a cited passage must give a model-written sentence, else it is dropped."
    )
    wordpress_timeout_s: float = Field(30.0, gt=0, le=600, description="Timeout of each WordPress REST or PDF request.")
    feedback_db_url: str = Field(
        "", description="SQLAlchemy URL of the feedback database; empty: sqlite in BOT_DATA_DIR/feedback.db."
    )
    # Slack and Teams read the names their platforms document; the BOT_ spelling works too.
    slack_bot_token: str = Field("", validation_alias=_also("SLACK_BOT_TOKEN"), description="Slack bot token (xoxb-…).")
    slack_signing_secret: str = Field("", validation_alias=_also("SLACK_SIGNING_SECRET"), description="Slack signing secret.")
    slack_app_token: str = Field("", validation_alias=_also("SLACK_APP_TOKEN"), description="Slack app-level token (xapp-…), for Socket Mode.")
    slack_api_url: str = Field("https://slack.com/api/", description="Slack Web API base URL.")
    microsoft_app_id: str = Field("", validation_alias=_also("MICROSOFT_APP_ID"), description="Azure Bot app id.")
    microsoft_app_password: str = Field("", validation_alias=_also("MICROSOFT_APP_PASSWORD"), description="Azure Bot client secret.")
    microsoft_app_tenant_id: str = Field("", validation_alias=_also("MICROSOFT_APP_TENANT_ID"), description="Tenant of a single-tenant bot.")
    teams_openid_url: str = Field(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        description="OpenID metadata naming the keys that sign Bot Framework tokens.",
    )
    teams_token_url: str = Field("", description="Client-credentials token endpoint; empty: Microsoft's for the tenant.")
    api_keys: str = Field(
        "", description="Comma-separated keys the chat endpoints require; `key@https://origin|https://other` binds a widget key to origins."
    )
    cors_origins: str = Field("", description="Comma-separated origins allowed to call the API from a browser.")
    admin_token: str = Field("", description="Bearer token for /v1/admin/*; empty: the admin endpoints are off.")
    rate_limit_per_minute: int = Field(60, ge=0, description="Chat requests a minute per key and per client address; 0: no limit.")
    max_body_bytes: int = Field(65536, ge=1024, description="Largest request body accepted.")
    log_questions: bool = Field(False, description="Log questions (identifiers removed); off: questions never reach the logs.")
    log_format: Literal["json", "text"] = Field("json", description="Log lines as JSON objects or as text.")
    workers: int = Field(1, ge=1, le=64, description="API worker processes `bot serve` starts.")
    host: str = Field("127.0.0.1", description="Address `bot serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `bot serve` binds.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Server log level.")

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_http(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError(f"BOT_CHROMA_URL must look like http://host:port, got {value!r}")
        return value

    @property
    def feedback_url(self) -> str:
        return self.feedback_db_url or f"sqlite:///{self.data_dir / 'feedback.db'}"

    @property
    def cors_allowed(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id and self.microsoft_app_password)

    @property
    def teams_token_endpoint(self) -> str:
        tenant = self.microsoft_app_tenant_id or "botframework.com"
        return self.teams_token_url or f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"

    @property
    def uses_llm(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> "Settings":
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("BOT_CHUNK_OVERLAP must be smaller than BOT_CHUNK_SIZE")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
