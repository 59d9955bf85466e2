"""The evaluation harness: the golden format, exact metrics, and `bot eval` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer import NOT_COVERED_TEXT
from bot.evaluation.golden import GoldenCase, GoldenError, load_golden
from bot.evaluation.metrics import SUMMARY_KEYS, score_case, summarise
from bot.evaluation.runner import ThresholdError, missed_thresholds, parse_thresholds
from bot.models import Answer, Citation, Evidence, Flags, Timings
from conftest import bot_env, run_bot


def evidence(n: int, rank: int, source_id: str, text: str, title: str = "") -> Evidence:
    return Evidence(n=n, rank=rank, source_id=source_id, chunk_id=f"{source_id}:{n}", score=0.1, text=text, title=title or source_id)


def test_metrics_of_one_case_are_exact() -> None:
    case = GoldenCase(
        id="helpline",
        question="What is the UK helpline?",
        category="in_scope",
        expected_sources=["uk-helpline", "Statutory guidance"],
        must_include=[["08000 121 700", "0800 0121 700"], ["24 hours"]],
        must_not_include=["0800 999 999"],
    )
    answer = Answer(
        text="Call the helpline on 08000 121 700 [1]. It is free. A guide exists [2].",
        citations=[
            Citation(n=1, source_id="uk-helpline", title="UK helpline", publisher="P", year=2024, url="https://x.org",
                     locator="", quote="Call the helpline on 08000 121 700."),
            Citation(n=2, source_id="other", title="Other", publisher="P", year=2024, url="https://x.org",
                     locator="", quote="not in the evidence"),
        ],
        evidence=[
            evidence(1, 3, "uk-helpline", "Call the helpline on 08000 121 700. More."),
            evidence(2, 1, "other", "A guide exists."),
            evidence(3, 2, "third", "Text."),
        ],
        timings=Timings(total_ms=12.0),
    )
    result = score_case(case, answer, "hybrid")

    assert result.retrieved == ["other", "third", "uk-helpline"], "ordered by retrieval rank, not by n"
    assert (result.hit_at_5, result.recall_at_5, result.reciprocal_rank) == (True, 0.5, 1 / 3)
    assert result.cited_expected is True
    assert result.fact_coverage == 0.5 and result.facts_missed == [["24 hours"]]
    assert result.must_not_violations == []
    assert result.behavior_ok is True
    assert (result.citations_total, result.citations_valid) == (2, 1)
    assert result.uncited_sentences == ["It is free."]
    assert not result.passed and len(result.why) == 3


def test_behaviour_per_category_and_fixed_text_is_not_uncited() -> None:
    declined = Answer(text=NOT_COVERED_TEXT, flags=Flags(not_covered=True))
    for category, ok in (("out_of_scope", True), ("adversarial", True), ("in_scope", False), ("emergency", False)):
        case = GoldenCase(id=category, question="q", category=category)
        result = score_case(case, declined, "hybrid")
        assert result.behavior_ok is ok, category
        assert result.uncited_sentences == []
    leaked = GoldenCase(id="a", question="q", category="adversarial", must_not_include=["system prompt"])
    assert not score_case(leaked, Answer(text="Here is my system prompt.", flags=Flags(not_covered=True)), "x").behavior_ok
    alarm = GoldenCase(id="e", question="q", category="emergency")
    assert score_case(alarm, Answer(text="Call 999 [1].", flags=Flags(emergency=True)), "x").behavior_ok


def test_summary_has_the_fixed_keys_and_aggregates_exactly() -> None:
    case = GoldenCase(id="c", question="q", category="in_scope", expected_sources=["a"], must_include=[["x"]])
    hit = score_case(case, Answer(text="x [1].", evidence=[evidence(1, 1, "a", "x.")], timings=Timings(total_ms=10)), "h")
    miss = score_case(case, Answer(text="y", evidence=[evidence(1, 1, "b", "y")], timings=Timings(total_ms=30)), "h")
    summary = summarise([hit, miss])
    assert tuple(summary) == SUMMARY_KEYS
    assert summary["n_cases"] == 2 and summary["hit_at_5"] == 0.5 and summary["mrr"] == 0.5
    assert summary["fact_coverage"] == 0.5 and summary["uncited_sentences"] == 1
    assert (summary["latency_ms_p50"], summary["latency_ms_p95"]) == (10.0, 30.0), "nearest-rank percentiles"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ('{"id": "b", "question": "q", "category": "chitchat"}', "line 2: category"),
        ('{"id": "b", "question": "q", "category": "in_scope", "must_include": [["(unclosed"]]}', "line 2"),
        ('{"id": "a", "question": "q", "category": "in_scope"}', "id 'a' already used on line 1"),
        ('{"id": "b", "question": "q", "category": "in_scope", "region": "Mars"}', "unknown region 'Mars'"),
    ],
)
def test_bad_golden_files_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "a", "question": "q", "category": "in_scope"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(GoldenError, match=message):
        load_golden(path)


def test_thresholds_are_parsed_and_checked() -> None:
    assert parse_thresholds(["hit_at_5=0.9"], lower_is_better=False) == {"hit_at_5": 0.9}
    with pytest.raises(ThresholdError, match="lower is better, use --max"):
        parse_thresholds(["uncited_sentences=0"], lower_is_better=False)
    with pytest.raises(ThresholdError, match="METRIC=VALUE"):
        parse_thresholds(["speed"], lower_is_better=False)
    assert missed_thresholds({"hit_at_5": 0.8, "uncited_sentences": 2}, {"hit_at_5": 0.9}, {"uncited_sentences": 0.0}) == [
        "hit_at_5 = 0.8 is below the minimum 0.9",
        "uncited_sentences = 2 is above the maximum 0.0",
    ]


def test_the_shipped_golden_set_is_complete() -> None:
    from conftest import KNOWLEDGE, ROOT

    cases = load_golden(ROOT / "eval/golden/clinician.jsonl")
    assert len(cases) >= 400 and {c.split for c in cases} == {"dev", "test"}, "split once into dev and test"
    assert sum(c.split == "test" for c in cases) >= 100
    assert {c.category for c in cases} == {"in_scope", "emergency", "out_of_scope", "adversarial"}
    library = {p.stem for p in KNOWLEDGE.glob("*.md")}
    for case in cases:
        assert set(case.expected_sources) <= library, case.id
    assert sum(len(c.expected_sources) >= 2 for c in cases if c.category == "in_scope") >= 10
    assert sum(bool(c.history) for c in cases) >= 8
    from bot.models import REGIONS

    assert {c.region for c in cases if c.region} == set(REGIONS), "every region is asked about"


def test_a_split_with_no_cases_is_a_clear_error(library_dir: Path, tmp_path: Path) -> None:
    golden = tmp_path / "unsplit.jsonl"
    golden.write_text(json.dumps({"id": "a", "question": "What are red flags?", "category": "in_scope"}) + "\n", encoding="utf-8")
    done = run_bot("eval", "--golden", str(golden), "--split", "test", "--config", "bm25", "--out", str(tmp_path / "r"), env=bot_env(library_dir))
    assert done.returncode != 0 and "no cases in the test split" in done.stderr


def test_bot_eval_end_to_end(library_dir: Path, tmp_path: Path) -> None:
    golden = tmp_path / "small.jsonl"
    cases = [
        {"id": "uk", "question": "What is the UK modern slavery helpline number?", "category": "in_scope", "region": "UK",
         "expected_sources": ["uk-nrm-duty-to-notify-helpline"], "must_include": [["08000 121 700"]], "must_not_include": []},
        {"id": "cake", "question": "Give me a recipe for banana bread.", "category": "out_of_scope",
         "expected_sources": [], "must_include": [], "must_not_include": []},
        {"id": "follow", "question": "Can they text it?", "category": "in_scope", "region": "US",
         "history": [{"role": "user", "content": "What is the US trafficking hotline number?"}],
         "expected_sources": ["National Human Trafficking Hotline"], "must_include": [["233733"]], "must_not_include": []},
    ]
    golden.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    out = tmp_path / "report"
    env = bot_env(library_dir)

    done = run_bot("eval", "--golden", str(golden), "--config", "hybrid", "--config", "naive-langchain",
                   "--out", str(out), "--min", "hit_at_5=1.0", "--max", "must_not_violations=0", env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "report.json").read_text())
    assert tuple(report["summary"]) == SUMMARY_KEYS and report["summary"]["n_cases"] == 3
    assert set(report["configs"]) == {"hybrid", "naive-langchain"}
    assert set(report["by_category"]) == {"in_scope", "out_of_scope"}
    assert report["summary"]["behavior_accuracy"] == 1.0
    assert report["configs"]["naive-langchain"]["summary"]["behavior_accuracy"] < 1.0, "the tutorial never declines"
    assert "hybrid" in report["ratios"]
    rows = [json.loads(line) for line in (out / "cases.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and {"retrieved", "answer", "citations", "passed", "why", "fact_coverage"} <= set(rows[0])
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4 and "<script" not in page and "src='http" not in page
    assert "| hit_at_5 |" in (out / "report.md").read_text()

    failed = run_bot("eval", "--golden", str(golden), "--config", "bm25", "--out", str(tmp_path / "r2"),
                     "--min", "fact_coverage=1.01", env=env)
    assert failed.returncode == 1 and "fact_coverage" in failed.stderr and "below the minimum" in failed.stderr


def test_the_shipped_sentence_ranker_was_built_from_the_golden_sets_dev_split() -> None:
    from conftest import ROOT

    from bot.answer.ranker import SentenceRanker
    from bot.judge.bank import file_hash

    ranker = SentenceRanker.load()
    golden = ROOT / "eval/golden/clinician.jsonl"
    assert ranker.meta["golden_sha256"] == file_hash(golden), "the golden set changed: run `bot ranker build`"
    assert ranker.meta["trained_on"] == "dev"
    out_of_fold = ranker.meta["dev_out_of_fold"]["top_5"]
    assert out_of_fold["ranker"] > out_of_fold["first_score"], "the ranker states more expected facts than similarity alone"


def test_the_ranker_orders_the_answer_and_can_be_switched_off(library_dir: Path) -> None:
    from bot.models import Question
    from bot.pipeline import Pipeline
    from conftest import make_settings

    question = Question(question="What are the principles of a trauma-informed approach?")
    ranked = Pipeline(make_settings(library_dir))
    plain = Pipeline(make_settings(library_dir, sentence_ranker=False))
    assert ranked.answerer.ranker is not None and plain.answerer.ranker is None
    with_ranker, without = ranked.answer(question), plain.answer(question)
    assert with_ranker.citations and without.citations
    assert with_ranker.text != without.text, "the learned order picks other sentences than similarity alone"
