"""The configurations `bot eval` compares: our pipeline in three retrieval modes, and the naive
LangChain tutorial RAG as the baseline that shows what the pipeline adds."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from bot.config import Settings
from bot.index import Index
from bot.ingest.loaders import LoadedDocument, load_document
from bot.models import Answer, Citation, Evidence, Question, Timings
from bot.pipeline import Pipeline

CONFIG_NAMES = ("hybrid", "dense", "bm25", "naive-langchain", "llm")
DEFAULT_CONFIGS = ("hybrid", "dense", "bm25", "naive-langchain")


class Answers(Protocol):
    def answer(self, question: Question) -> Answer: ...


class NaiveLangChainRAG:
    """A faithful copy of the common LangChain tutorial RAG, without its LLM.

    RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over the library's text,
    `Chroma.from_documents` with the same MiniLM embeddings, `similarity_search(k=4)`, and the
    top chunks as the answer (the tutorial stuffs them into the prompt). Like the tutorial it
    has no filters, no decline, and one citation per chunk rather than per sentence.
    """

    name = "naive-langchain"

    def __init__(self, documents: list[LoadedDocument], embeddings: object, k: int = 4) -> None:
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.k = k
        self._directory = tempfile.TemporaryDirectory(prefix="naive-rag-")
        raw = [
            Document(
                page_content="\n\n".join(section.text for section in document.sections),
                metadata={
                    "source_id": document.source.id,
                    "title": document.source.title,
                    "publisher": document.source.publisher,
                    "year": document.source.year,
                    "url": str(document.source.url),
                },
            )
            for document in documents
        ]
        splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(raw)
        client = chromadb.PersistentClient(
            path=self._directory.name, settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.store = Chroma.from_documents(
            splits, embeddings, client=client, collection_name="naive-langchain-tutorial"
        )

    def answer(self, question: Question) -> Answer:
        started = time.perf_counter()
        found = self.store.similarity_search_with_score(question.question, k=self.k)
        retrieve_ms = (time.perf_counter() - started) * 1000
        evidence = [
            Evidence(
                n=n,
                rank=n,
                source_id=doc.metadata["source_id"],
                chunk_id=doc.id or f"{doc.metadata['source_id']}:{n}",
                score=round(1 - float(distance), 6),
                text=doc.page_content,
                title=doc.metadata["title"],
                publisher=doc.metadata["publisher"],
                year=doc.metadata["year"],
                url=doc.metadata["url"],
            )
            for n, (doc, distance) in enumerate(found, 1)
        ]
        text = "\n\n".join(f"{e.text} [{e.n}]" for e in evidence)
        citations = [
            Citation(
                n=e.n, source_id=e.source_id, title=e.title, publisher=e.publisher, year=e.year,
                url=e.url, locator="", quote=e.text,
            )
            for e in evidence
        ]
        total_ms = (time.perf_counter() - started) * 1000
        return Answer(
            text=text,
            citations=citations,
            evidence=evidence,
            timings=Timings(retrieve_ms=round(retrieve_ms, 2), answer_ms=0.0, total_ms=round(total_ms, 2)),
            region=question.region,
            answerer=self.name,
        )


def library_documents(knowledge_dir: Path) -> list[LoadedDocument]:
    return [load_document(p) for p in sorted(knowledge_dir.glob("*.md")) if p.stem.upper() != "README"]


def build_configs(
    names: list[str], settings: Settings, index: Index, knowledge_dir: Path
) -> dict[str, Answers]:
    """Each named configuration, sharing the one index (and model) where they can."""
    unknown = [n for n in names if n not in CONFIG_NAMES]
    if unknown:
        from bot.errors import ConfigError

        raise ConfigError(f"unknown eval config {', '.join(unknown)}; choose from {', '.join(CONFIG_NAMES)}")
    offline = {"llm_base_url": "", "llm_model": ""}  # the retrieval configs compare the extractive answerer
    makers: dict[str, Callable[[], Answers]] = {
        mode: (lambda mode=mode: Pipeline(settings.model_copy(update={"retrieval_mode": mode, **offline}), index))
        for mode in ("hybrid", "dense", "bm25")
    }
    makers["naive-langchain"] = lambda: NaiveLangChainRAG(library_documents(knowledge_dir), index.embedder)
    makers["llm"] = lambda: Pipeline(settings.model_copy(update={"retrieval_mode": "hybrid"}), index)
    if "llm" in names and not settings.uses_llm:
        from bot.errors import ConfigError

        raise ConfigError("the llm config needs BOT_LLM_BASE_URL and BOT_LLM_MODEL (an OpenAI-compatible endpoint)")
    return {name: makers[name]() for name in names}
