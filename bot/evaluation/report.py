"""Write an eval run: report.json, report.md, a self-contained report.html, and cases.jsonl."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from bot.evaluation.metrics import LOWER_IS_BETTER, SUMMARY_KEYS, CaseResult

SHOWN_METRICS = ("hit_at_5", "recall_at_5", "mrr", "cited_expected", "fact_coverage", "behavior_accuracy", "citation_validity")


def ratios(configs: dict[str, dict[str, Any]], baseline: str) -> dict[str, dict[str, float | None]]:
    """Each config's summary divided by the baseline's, metric by metric."""
    base = configs[baseline]["summary"]
    out: dict[str, dict[str, float | None]] = {}
    for name, data in configs.items():
        if name == baseline:
            continue
        out[name] = {}
        for key in SUMMARY_KEYS:
            mine, theirs = data["summary"].get(key), base.get(key)
            out[name][key] = round(mine / theirs, 3) if isinstance(mine, (int, float)) and theirs else None
    return out


def _format(value: Any, key: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if key.startswith("latency") else f"{value:.3f}"
    return str(value)


def markdown_table(configs: dict[str, dict[str, Any]]) -> str:
    names = list(configs)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for key in SUMMARY_KEYS:
        lines.append(f"| {key} | " + " | ".join(_format(configs[n]["summary"].get(key), key) for n in names) + " |")
    return "\n".join(lines)


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _grouped_bars(axis: Any, groups: list[str], series: dict[str, list[float]], rotation: int = 0) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        axis.bar([x + i * width for x in range(len(groups))], values, width, label=name)
    axis.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(groups))], groups, rotation=rotation)
    axis.set_ylim(0, 1.05)


def _plots(configs: dict[str, dict[str, Any]], results: list[CaseResult]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(configs)
    categories = sorted({r.category for r in results})
    longest = max((len(configs[n].get("hit_at_k", [])) for n in names), default=1)

    def side_by_side(axis: Any) -> None:
        series = {n: [configs[n]["summary"].get(m) or 0.0 for m in SHOWN_METRICS] for n in names}
        _grouped_bars(axis, list(SHOWN_METRICS), series, rotation=20)

    def per_category(axis: Any) -> None:
        series = {n: [configs[n]["by_category"].get(c, {}).get("behavior_accuracy") or 0.0 for c in categories] for n in names}
        _grouped_bars(axis, categories, series)
        axis.set_ylabel("behavior_accuracy")

    def hit_curve(axis: Any) -> None:
        for name in names:
            curve = configs[name].get("hit_at_k", [])
            axis.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
        axis.set_xticks(range(1, longest + 1))
        axis.set(xlabel="k", ylabel="hit@k", ylim=(0, 1.05))

    def latency(axis: Any) -> None:
        for name in names:
            axis.hist([r.latency_ms for r in results if r.config == name], bins=20, alpha=0.5, label=name)
        axis.set(xlabel="latency (ms)", ylabel="cases")

    plots: list[tuple[str, str]] = []
    for title, size, draw in (
        ("Configurations side by side", (9, 3.6), side_by_side),
        ("Behaviour accuracy per category", (9, 3.4), per_category),
        ("hit@k curve", (6, 3.4), hit_curve),
        ("Latency histogram", (6, 3.4), latency),
    ):
        figure, axis = plt.subplots(figsize=size)
        draw(axis)
        axis.legend(fontsize=8)
        axis.set_title(title)
        plots.append((title, _png(figure)))
        plt.close(figure)
    return plots


def _html(report: dict[str, Any], plots: list[tuple[str, str]], results: list[CaseResult]) -> str:
    configs = report["configs"]
    names = list(configs)
    def table(columns: dict[str, dict[str, Any]]) -> str:
        head = "".join(f"<th>{html.escape(n)}</th>" for n in columns)
        body = "".join(
            f"<tr><td>{k}</td>" + "".join(f"<td>{_format(columns[n].get(k), k)}</td>" for n in columns) + "</tr>"
            for k in SUMMARY_KEYS
        )
        return f"<table><tr><th>metric</th>{head}</tr>{body}</table>"

    summary = table({n: configs[n]["summary"] for n in names})
    ratio_section = (
        f"<h2>Ratios to {html.escape(report['baseline'])}</h2>{table(report['ratios'])}" if report.get("ratios") else ""
    )
    failed = [r for r in results if not r.passed]
    failures = "".join(
        f"<tr><td>{html.escape(r.config)}</td><td>{html.escape(r.id)}</td><td>{html.escape(r.category)}</td>"
        f"<td>{html.escape('; '.join(r.why))}</td></tr>"
        for r in failed
    )
    images = "".join(
        f"<figure><img alt='{html.escape(title)}' src='data:image/png;base64,{data}'><figcaption>{html.escape(title)}"
        "</figcaption></figure>"
        for title, data in plots
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Evaluation report</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}figure{display:inline-block;margin:1rem}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>Evaluation report</h1><p>{html.escape(report['golden'])}: {report['n_cases']} cases, "
        f"created {html.escape(report['created'])}.</p>"
        f"<h2>Summary</h2>{summary}{ratio_section}"
        f"<h2>Plots</h2>{images}"
        f"<h2>Cases that did not pass ({len(failed)})</h2>"
        f"<table><tr><th>config</th><th>case</th><th>category</th><th>why</th></tr>{failures}</table>"
        "</body></html>"
    )


def write_report(out: Path, report: dict[str, Any], results: list[CaseResult]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    with (out / "cases.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(result.model_dump_json() + "\n")
    worse = ", ".join(sorted(LOWER_IS_BETTER))
    md = [
        f"# Evaluation report\n\n{report['golden']}: {report['n_cases']} cases, created {report['created']}.\n",
        "## Summary\n", markdown_table(report["configs"]),
        f"\n\nLower is better for {worse}; higher for the rest.\n",
    ]
    if report.get("ratios"):
        md += [f"\n## Ratios to {report['baseline']}\n", markdown_table({n: {"summary": r} for n, r in report["ratios"].items()})]
    for name, data in report["configs"].items():
        md += [f"\n\n## {name} by category\n", markdown_table({c: {"summary": s} for c, s in data["by_category"].items()})]
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    (out / "report.html").write_text(_html(report, _plots(report["configs"], results), results), encoding="utf-8")
