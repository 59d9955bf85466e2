"""`bot bench`: latency at the library's size and at synthetic 10k/100k-chunk indexes, and ingest
throughput with the real model. A benchmark, not a test: it prints a table and writes JSON.

Synthetic chunks get random unit vectors (made without the model, which embeds only about 60
passages a second here) and text drawn from the library's own vocabulary, so the figures
measure the index, the fusion and the answerer at that size, not the embedder.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.index import Index
from bot.index.embeddings import DIMENSIONS, MiniLMEmbeddings
from bot.index.store import ChunkStore, sentence_filters
from bot.ingest.run import ingest
from bot.models import REGIONS, Question
from bot.pipeline import Pipeline
from bot.text import tokens

Progress = Callable[[str, int, int], None]
QUESTIONS = [
    "What are the red flags of trafficking in the emergency department?",
    "How do I speak with a patient whose companion will not leave?",
    "Which number should a patient call about trafficking?",
    "How do I document suspected forced labour?",
    "Does an adult have to consent to a referral?",
    "What must I do when the patient is under 18?",
    "Can I promise the patient that she will be safe?",
    "Should a family member interpret for the patient?",
]
_TYPES = ("guidance", "evidence", "law", "tool", "hotline")


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return round(statistics.median(ordered), 1), round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)


def _latency(pipeline: Pipeline, repeat: int) -> dict[str, float]:
    rows: dict[str, list[float]] = {"retrieve_ms": [], "answer_ms": [], "total_ms": []}
    for _ in range(repeat):
        for question in QUESTIONS:
            timings = pipeline.answer(Question(question=question)).timings
            for key in rows:
                rows[key].append(getattr(timings, key))
    figures: dict[str, float] = {"questions": float(len(rows["total_ms"]))}
    for key, values in rows.items():
        figures[f"{key}_p50"], figures[f"{key}_p95"] = _percentiles(values)
    return figures


def _triage_latency(pipeline: Pipeline, limit: int = 300) -> dict[str, float]:
    """Triage on distinct bank messages, as they arrive in a conversation: the earlier turns were
    embedded when they were asked. `added`: what triage adds to an answer, the question's embedding
    excepted (retrieval embeds the question anyway and reuses it); `with_embedding`: with it."""
    from bot.judge.bank import load_bank
    from bot.judge.triage import context_turns

    embedder, judge = pipeline.index.embedder, pipeline.judge
    added, cold = [], []
    for item in load_bank()[:limit]:
        embedder.encode(context_turns(judge.scrubbed_history(item.history)))  # asked earlier in the conversation
        question = judge.scrubber._scrub(item.text).text  # uncached, as for a new question
        started = time.perf_counter()
        judge.scrub(item.text)
        scrubbed = time.perf_counter()
        embedder.encode([question])
        embedded = time.perf_counter()
        judge.triage(item.text, item.history)
        done = time.perf_counter()
        added.append((scrubbed - started + done - embedded) * 1000)
        cold.append((done - started) * 1000)
    figures: dict[str, float] = {"messages": float(len(added))}
    figures["added_ms_p50"], figures["added_ms_p95"] = _percentiles(added)
    figures["with_embedding_ms_p50"], figures["with_embedding_ms_p95"] = _percentiles(cold)
    return figures


def _unit_vectors(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _synthetic_index(size: int, settings: Settings, vocabulary: list[str], progress: Progress) -> float:
    """Fill an empty store with `size` synthetic chunks (two sentences each); seconds taken."""
    rng = np.random.default_rng(size)
    store = ChunkStore(settings)
    started = time.perf_counter()
    batch = 2000
    for start in range(0, size, batch):
        count = min(batch, size - start)
        ids = [f"synthetic-{(start + i) // 20}:{start + i:08d}" for i in range(count)]
        sentences = [
            [" ".join(rng.choice(vocabulary, 18)).capitalize() + "." for _ in range(2)] for _ in range(count)
        ]
        metadatas = [
            {
                "source_id": cid.split(":")[0], "title": f"Synthetic publication {cid.split(':')[0]}",
                "publisher": "Benchmark", "year": 2024, "url": "https://example.org/synthetic",
                "type": _TYPES[(start + i) % len(_TYPES)], "region": REGIONS[(start + i) % len(REGIONS)],
                "clinical": True, "heading_path": "Synthetic", "path": "synthetic", "meta_hash": "synthetic",
            }
            for i, cid in enumerate(ids)
        ]
        store.add_sentences(
            [f"{cid}:{j}" for cid in ids for j in range(2)],
            [s for pair in sentences for s in pair],
            _unit_vectors(rng, count * 2),
            [
                {"chunk_id": cid, "source_id": meta["source_id"], "position": j, **sentence_filters(meta)}
                for cid, meta in zip(ids, metadatas)
                for j in range(2)
            ],
        )
        store.add_chunks(ids, [" ".join(pair) for pair in sentences], _unit_vectors(rng, count), metadatas)
        progress(f"synthetic {size}", start + count, size)
    store.renew_generation()
    return time.perf_counter() - started


def run_bench(sizes: list[int], out: Path, settings: Settings, progress: Progress, repeat: int = 5) -> tuple[str, Path]:
    results: dict[str, Any] = {}
    embedder = MiniLMEmbeddings()
    started = time.perf_counter()
    embedder.warm_up()
    results["model_load_s"] = round(time.perf_counter() - started, 2)

    with tempfile.TemporaryDirectory(prefix="bench-library-") as data_dir:
        library_settings = settings.model_copy(update={"data_dir": Path(data_dir), "chroma_url": ""})
        index = Index(library_settings, embedder=embedder)
        progress("ingest", 0, 1)
        started = time.perf_counter()
        report = ingest([settings.knowledge_dir], index)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        ingest([settings.knowledge_dir], Index(library_settings, embedder=embedder))
        results["ingest"] = {
            "sources": report.sources,
            "chunks": report.chunks,
            "seconds": round(elapsed, 2),
            "chunks_per_s": round(report.chunks / elapsed, 1),
            "unchanged_reingest_s": round(time.perf_counter() - started, 2),
        }
        progress("ingest", 1, 1)
        vocabulary = sorted({w for meta_chunk in index.store.all_chunks(with_text=True) for w in tokens(meta_chunk.text)})
        library_pipeline = Pipeline(library_settings, index)
        library_pipeline.warm_up()
        results["triage"] = _triage_latency(library_pipeline)
        rows = {"library": {"chunks": report.chunks, "build_s": round(elapsed, 2), **_latency(library_pipeline, repeat)}}

    for size in sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as data_dir:
            synthetic_settings = settings.model_copy(update={"data_dir": Path(data_dir), "chroma_url": ""})
            build_s = _synthetic_index(size, synthetic_settings, vocabulary, progress)
            started = time.perf_counter()
            index = Index(synthetic_settings, embedder=embedder)  # reads metadata, builds BM25
            load_s = time.perf_counter() - started
            rows[f"synthetic {size}"] = {
                "chunks": size,
                "build_s": round(build_s + load_s, 2),
                "bm25_and_metadata_load_s": round(load_s, 2),
                **_latency(Pipeline(synthetic_settings, index), repeat),
            }
    results["indexes"] = rows

    header = f"| {'index':<16} | {'chunks':>7} | {'build s':>8} | {'retrieve p50/p95 ms':>20} | {'answer p50/p95 ms':>18} | {'total p50/p95 ms':>17} |"
    lines = [header, "|" + "|".join("-" * (len(cell) + 0) for cell in header.split("|")[1:-1]) + "|"]
    for name, row in rows.items():
        lines.append(
            f"| {name:<16} | {row['chunks']:>7} | {row['build_s']:>8} | "
            f"{row['retrieve_ms_p50']:>9} / {row['retrieve_ms_p95']:<8} | {row['answer_ms_p50']:>8} / {row['answer_ms_p95']:<7} | "
            f"{row['total_ms_p50']:>8} / {row['total_ms_p95']:<6} |"
        )
    i, t = results["ingest"], results["triage"]
    lines += [
        "",
        f"triage on {int(t['messages'])} bank messages: adds p50 {t['added_ms_p50']} / p95 {t['added_ms_p95']} ms to an answer "
        f"(p50 {t['with_embedding_ms_p50']} / p95 {t['with_embedding_ms_p95']} ms counting the question's embedding, which retrieval reuses)",
        f"model load {results['model_load_s']} s; ingest of {i['sources']} sources / {i['chunks']} chunks "
        f"{i['seconds']} s ({i['chunks_per_s']} chunks/s, sentences embedded too); unchanged re-ingest {i['unchanged_reingest_s']} s",
    ]
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    return "\n".join(lines), path
