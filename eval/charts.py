"""PNG charts of an evaluation report: scores by kind, latency distribution, reliability diagram."""

from __future__ import annotations

from pathlib import Path

# Figure + FigureCanvasAgg (not pyplot): no global state and no display needed, so it works headless.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return path


def scores_by_kind(by_kind: dict, path: Path) -> Path:
    """Grouped EM / F1 bars (percent) per question kind; the x labels give the question counts."""
    kinds = list(by_kind)
    figure = Figure(figsize=(max(5.0, 0.9 * len(kinds) + 2), 3.6))
    ax = figure.add_subplot()
    xs = range(len(kinds))
    width = 0.4
    for offset, key in ((-width / 2, "em"), (width / 2, "f1")):
        values = [100 * (by_kind[k][key] or 0.0) for k in kinds]
        ax.bar([x + offset for x in xs], values, width, label=key.upper())
    ax.set_xticks(list(xs), [f"{k}\n(n={by_kind[k]['questions']})" for k in kinds], fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_ylabel("percent")
    ax.set_title("Scores by kind (own threshold)")
    ax.legend()
    return _save(figure, path)


def latency_histogram(stage_seconds: dict[str, list[float]], path: Path) -> Path:
    """One histogram per stage (milliseconds), the whole call ("wall") included."""
    stages = [s for s, values in stage_seconds.items() if values]
    figure = Figure(figsize=(6.0, 1.9 * max(1, len(stages)) + 0.6))
    for i, stage in enumerate(stages, start=1):
        ax = figure.add_subplot(len(stages), 1, i)
        ax.hist([1000 * s for s in stage_seconds[stage]], bins=30)
        ax.set_ylabel("questions", fontsize=8)
        ax.set_title(f"{stage} (ms)", fontsize=9)
    if stages:
        figure.axes[-1].set_xlabel("milliseconds")
    return _save(figure, path)


def reliability_diagram(reliability: dict, path: Path) -> Path:
    """Accuracy against mean score per score bin, with the candidate count written on each bar."""
    bins = [b for b in reliability["bins"] if b["count"]]
    figure = Figure(figsize=(4.8, 4.4))
    ax = figure.add_subplot()
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    width = bins[0]["high"] - bins[0]["low"] if bins else 0.1
    centres = [(b["low"] + b["high"]) / 2 for b in bins]
    bars = ax.bar(centres, [b["accuracy"] for b in bins], width * 0.9, alpha=0.7, label="accuracy (EM)")
    ax.plot(centres, [b["mean_score"] for b in bins], "o", color="black", label="mean score")
    for bar, b in zip(bars, bins, strict=True):
        ax.annotate(f"n={b['count']}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel("score")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability of score (threshold 0)")
    ax.legend(fontsize=7, loc="upper left")
    return _save(figure, path)


def write_charts(report: dict, out_dir: Path, name: str) -> list[Path]:
    """The three charts of `report`, as <name>-scores.png, <name>-latency.png, <name>-reliability.png."""
    stage_seconds: dict[str, list[float]] = {}
    for record in report["records"]:
        for stage, seconds in record["timings"].items():
            stage_seconds.setdefault(stage, []).append(seconds)
    stage_seconds["wall"] = [record["wall_s"] for record in report["records"]]
    return [
        scores_by_kind(report["by_kind"], out_dir / f"{name}-scores.png"),
        latency_histogram(stage_seconds, out_dir / f"{name}-latency.png"),
        reliability_diagram(report["metrics"]["reliability"], out_dir / f"{name}-reliability.png"),
    ]
