"""LangChain's own standard retriever suite, run against our hybrid retriever."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot.index import Index
from bot.retrieve import GuidanceRetriever, Retriever
from conftest import make_settings


@pytest.fixture(scope="class")
def shipped_retriever(request: pytest.FixtureRequest, library_dir: Path) -> None:
    request.cls.hybrid = Retriever(Index(make_settings(library_dir)))


@pytest.mark.usefixtures("shipped_retriever")
class TestGuidanceRetrieverStandard(RetrieversIntegrationTests):
    hybrid: Retriever

    @property
    def retriever_constructor(self) -> type[GuidanceRetriever]:
        return GuidanceRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"retriever": self.hybrid, "k": 4}

    @property
    def retriever_query_example(self) -> str:
        return "red flags of forced labour"


def test_documents_carry_citation_metadata(library_dir: Path) -> None:
    retriever = GuidanceRetriever(retriever=Retriever(Index(make_settings(library_dir))), k=3, region="US")
    documents = retriever.invoke("trafficking hotline text number")
    assert len(documents) == 3
    for document in documents:
        assert document.id and document.metadata["source_id"] and document.metadata["url"].startswith("https://")
        assert document.metadata["region"] in {"US", "international"}
