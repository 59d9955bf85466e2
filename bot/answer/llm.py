"""Answers from any OpenAI-compatible chat endpoint, checked sentence by sentence against the
evidence, with the extractive answer as the fallback whenever the model cannot be trusted.

The evidence enters the prompt as delimited, quoted data; the model's text is streamed, then
every sentence must cite evidence that exists and supports it. A timeout, connection error,
429, 5xx, or broken stream gives the extractive answer with `fallback_used` and the reason.
Retries (bounded, with jitter) are the openai client's own, around the HTTP call only.
"""

from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass

import numpy as np

from bot.answer.citations import CitationChecker, Removed
from bot.answer.extractive import Drafted, ExtractiveAnswerer
from bot.config import Settings
from bot.index.embeddings import MiniLMEmbeddings
from bot.index.store import ChunkStore
from bot.models import Evidence, Turn
from bot.prompts import load_prompt


MAX_REWRITE_CHARS = 500


class ModelFailed(Exception):
    """The model gave nothing usable; the message is the reason shown in the Answer."""


@dataclass
class LLMDrafted(Drafted):
    fallback_reason: str | None = None
    removed: list[Removed] | None = None
    prompt_version: str = ""


def evidence_block(evidence: list[Evidence]) -> str:
    """Each passage as quoted data inside its own element, so text in it cannot pose as instructions."""
    return "\n".join(
        f'<evidence n="{e.n}" source="{html.escape(f"{e.title} ({e.publisher}, {e.year})", quote=True)}">\n'
        f'"{html.escape(e.text, quote=False)}"\n</evidence>'
        for e in evidence
    )


class LLMAnswerer:
    name = "llm"

    def __init__(self, settings: Settings, store: ChunkStore, embedder: MiniLMEmbeddings) -> None:
        import openai

        self.settings = settings
        self.extractive = ExtractiveAnswerer(settings, store)
        self.checker = CitationChecker(store, embedder, settings.citation_support)
        self.system = load_prompt("system")
        self.prompt = load_prompt("answer")
        self.rewriter = load_prompt("rewrite")
        self.client = openai.OpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    @property
    def prompt_version(self) -> str:
        return f"{self.system.tag},{self.prompt.tag}"

    def _user_message(self, question: str, region: str | None, evidence: list[Evidence]) -> str:
        return self.prompt.render(
            evidence=evidence_block(evidence),
            region=region or "unknown (give international guidance; the clinician uses local numbers)",
            question=html.escape(question, quote=False),
        )

    def _chat(self, messages: list[dict[str, str]]) -> str:
        """The model's streamed reply in full, or ModelFailed saying why there is none."""
        import openai

        pieces: list[str] = []
        finished = False
        # The client's timeout is per read: a model that keeps streaming would never trip it.
        deadline = time.monotonic() + self.settings.llm_timeout_s
        try:
            stream = self.client.chat.completions.create(
                model=self.settings.llm_model, messages=messages, temperature=0, stream=True,
                max_tokens=self.settings.llm_max_tokens,
            )
            for chunk in stream:
                if time.monotonic() > deadline:
                    stream.close()
                    raise ModelFailed(f"model timed out after {self.settings.llm_timeout_s} s")
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta and choice.delta.content:
                    pieces.append(choice.delta.content)
                finished = finished or choice.finish_reason is not None
        except openai.APITimeoutError as exc:
            raise ModelFailed(f"model timed out after {self.settings.llm_timeout_s} s") from exc
        except openai.RateLimitError as exc:
            raise ModelFailed("model rate-limited (429)") from exc
        except openai.APIStatusError as exc:
            raise ModelFailed(f"model answered {exc.status_code}") from exc
        except openai.APIConnectionError as exc:
            raise ModelFailed(f"cannot reach the model at {self.settings.llm_base_url}") from exc
        except (openai.OpenAIError, ValueError, KeyError, AttributeError) as exc:
            raise ModelFailed(f"broken or malformed stream from the model: {type(exc).__name__}") from exc
        if not finished:
            raise ModelFailed("broken or malformed stream from the model: it ended before the answer finished")
        # The evidence went in HTML-escaped; a model that copies it writes "&amp;" for "&".
        text = html.unescape("".join(pieces)).strip()
        if not text:
            raise ModelFailed("model returned no text")
        return text

    def rewrite(self, question: str, history: list[Turn]) -> str | None:
        """The follow-up made stand-alone by the model, or None when the model gives nothing usable
        (the caller then uses the deterministic rule). Only the clinician's turns are sent."""
        turns = [t.content for t in history if t.role == "user"]
        if not turns:
            return None
        content = self.rewriter.render(
            history="\n".join(f"- {html.escape(t, quote=False)}" for t in turns[-4:]),
            question=html.escape(question, quote=False),
        )
        try:
            reply = self._chat([{"role": "user", "content": content}])
        except ModelFailed:
            return None
        lines = [line.strip().strip('"') for line in reply.splitlines() if line.strip()]
        rewritten = lines[0] if lines else ""
        # A rewrite much longer than what it rewrites is the model answering, not rewriting.
        if not rewritten or len(rewritten) > MAX_REWRITE_CHARS or len(rewritten) > 3 * (len(question) + len(turns[-1])):
            return None
        return rewritten

    def draft(
        self, question: str, query_vectors: np.ndarray, evidence: list[Evidence], region: str | None = None
    ) -> LLMDrafted:
        floor = self.extractive.draft(question, query_vectors, evidence)

        def fallback(reason: str | None, removed: list[Removed] | None = None) -> LLMDrafted:
            return LLMDrafted(
                floor.text, floor.citations, floor.evidence, floor.not_covered, floor.best_similarity,
                fallback_reason=reason, removed=removed, prompt_version=self.prompt_version,
            )

        if floor.not_covered:  # evidence too weak to answer from: the model is not asked to try
            return fallback(None)
        try:
            text = self._chat([
                {"role": "system", "content": self.system.template},
                {"role": "user", "content": self._user_message(question, region, evidence)},
            ])
        except ModelFailed as exc:
            return fallback(str(exc))
        checked = self.checker.check(text, evidence)
        if not checked.citations:
            return fallback("no sentence of the model's answer was supported by its citations", checked.removed)
        return LLMDrafted(
            checked.text, checked.citations, checked.evidence, False, floor.best_similarity,
            removed=checked.removed, prompt_version=self.prompt_version,
        )
