"""Evaluation reports: figures of a run as JSON and Markdown, compared with the previous report of the same name."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

from eval import charts, metrics
from eval.datasets import EvalSet
from eval.records import Record
from eval.runner import Run, records_by_split
from qa.onnx_runtime import cpu, exact_int8_products

REPO_DIR = Path(__file__).resolve().parent.parent
EXAMPLES_PER_ERROR = 3
# Sets this small list every error with the verifier's strongest reasons; larger ones EXAMPLES_PER_ERROR of each kind.
EVERY_ERROR_UP_TO = 1000
WHY_SHOWN = 4  # feature contributions listed per error
CHANGES_LISTED = 30  # better / worse questions listed in the Markdown (the JSON keeps them all)
HEADLINE = (  # (key, label, is a fraction shown as a percentage)
    ("questions", "questions", False),
    ("has_ans_em", "HasAns EM", True),
    ("has_ans_f1", "HasAns F1", True),
    ("no_ans_acc", "NoAns accuracy", True),
    ("em", "EM (overall)", True),
    ("f1", "F1 (overall)", True),
    ("answered", "answered", False),
    ("abstain_precision", "abstention precision", True),
    ("abstain_recall", "abstention recall", True),
    ("recall@1", "retrieval recall@1", True),
    ("recall@3", "retrieval recall@3", True),
    ("recall@5", "retrieval recall@5", True),
    ("mrr", "retrieval MRR", True),
)
# Published CMRC 2018 figures (EM, F1) to set ours against: dev set unless said otherwise.
CMRC2018_REFERENCE = (
    ("BERT-base (Chinese), dev", 65.5, 84.5),
    ("RoBERTa-wwm-ext, dev", 67.4, 87.2),
    ("ELECTRA-small, dev", 63.4, 80.8),
    ("RBT3, dev", 57.0, 79.0),
    ("open-domain retriever + BERT baseline, dev", 49.2, 65.4),
    ("humans, test set", 92.4, 97.9),
)


def environment() -> dict:
    """Where and when the run happened: date, git commit (None outside a repository with commits), machine.

    Changes under eval/reports do not make the commit "with uncommitted changes": they are earlier
    runs' outputs, which answer nothing.
    """
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!eval/reports")
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "git_commit": None if commit is None else commit + (" (with uncommitted changes)" if dirty else ""),
        "machine": _machine(),
        "verifier": _verifier(),
    }


def _verifier() -> dict | None:
    """How the shipped answer verifier was fitted and where its operating point lies (qa/data/verifier.json)."""
    from qa.verify.verifier import VERIFIER_FILE, Verifier

    try:
        verifier = Verifier.load(VERIFIER_FILE)
    except ValueError:
        return None
    keys = ("operating_point", "out_of_fold", "fold_seeds", "questions", "candidates", "commit", "date")
    provenance = verifier.provenance
    weights = {"article": provenance.get("article_weight"), **(provenance.get("data") or {}).get("squad_weights", {})}
    return {"threshold": verifier.threshold, "weights": {source: w for source, w in weights.items() if w is not None},
            **{key: provenance.get(key) for key in keys}}


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _machine() -> str:
    model, _ = cpu()
    int8 = "int8 products exact" if exact_int8_products() else "int8 products saturate (the reader reads in float32)"
    return (f"{platform.system()} {platform.machine()}, {model or 'unknown CPU'}, {os.cpu_count()} CPUs, {int8}, "
            f"Python {platform.python_version()}")


def build_report(
    name: str, eval_set: EvalSet, run: Run, split: str = "all", limit: int | None = None,
    env: dict | None = None,
) -> dict:
    """Every figure of a run as a JSON-ready dict (fractions in [0, 1], seconds).

    Figures are given at the system's own threshold for each split, and at the threshold that is
    best on the tune split (chosen there only, then applied to every split).
    """
    records = run.records
    t_default = run.default_threshold
    splits = records_by_split(records)
    tuned = None
    if "tune" in splits:
        t_tuned, value = metrics.best_threshold(splits["tune"], "f1")
        tuned = {
            "threshold": t_tuned, "objective": "f1", "tune_value": value,
            "splits": {s: metrics.summarize(rs, t_tuned) for s, rs in splits.items()},
        }
    return {
        "name": name,
        "meta": {
            "set": eval_set.path, "source": eval_set.source, "mode": run.mode,
            "questions_in_file": eval_set.total_items, "questions_run": len(records),
            "sample": eval_set.sample, "seed": eval_set.seed, "split": split, "limit": limit,
            "default_threshold": t_default, "settings": run.settings,
            "build_s": run.build_s, "answer_s": run.answer_s,
            **(env if env is not None else environment()),
        },
        "metrics": {
            "default": {s: {**metrics.summarize(rs, t_default), **metrics.retrieval(rs)} for s, rs in splits.items()},
            "tuned": tuned,
            "latency": metrics.latency(records),
            "reliability": metrics.reliability(records),
        },
        "by_kind": _by_kind(records, t_default),
        "errors": _errors(records, t_default),
        "records": [_record_entry(r, t_default) for r in records],
    }


def _by_kind(records: tuple[Record, ...], threshold: float) -> dict:
    kinds: dict[str, list[Record]] = {}
    for r in records:
        kinds.setdefault(r.kind, []).append(r)
    table = {}
    for kind in sorted(kinds):
        summary = metrics.summarize(kinds[kind], threshold)
        table[kind] = {k: summary[k] for k in ("questions", "answerable", "em", "f1")}
    return table


def _errors(records: tuple[Record, ...], threshold: float) -> dict:
    categories = {r.id: metrics.error_category(r, threshold) for r in records}
    counts = Counter(c for c in categories.values() if c is not None)
    examples = {
        category: [
            {"id": r.id, "question": r.question, "answers": list(r.answers),
             "prediction": r.prediction if metrics.answered(r, threshold) else "", "score": r.score,
             "why": [list(pair) for pair in r.why[:WHY_SHOWN]]}
            for r in records if categories[r.id] == category
        ][: None if len(records) <= EVERY_ERROR_UP_TO else EXAMPLES_PER_ERROR]
        for category in metrics.ERROR_CATEGORIES if counts[category]
    }
    return {"counts": {c: counts[c] for c in metrics.ERROR_CATEGORIES}, "examples": examples}


def _record_entry(record: Record, threshold: float) -> dict:
    em, f1 = metrics.scored(record, threshold)
    return {
        **record.to_dict(),
        "result": {"answered": metrics.answered(record, threshold), "em": em, "f1": f1,
                   "error": metrics.error_category(record, threshold)},
    }


def read_previous(path: Path) -> dict | None:
    """The report stored at `path`, or None when there is none or it cannot be read."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return previous if isinstance(previous, dict) and "records" in previous else None


def compare(previous: dict, current: dict) -> dict:
    """What changed since `previous`: metric deltas (split "all", own threshold) and questions whose F1 moved."""
    before = previous.get("metrics", {}).get("default", {}).get("all", {})
    now = current["metrics"]["default"]["all"]
    deltas = []
    for key, label, _ in HEADLINE:
        b, n = before.get(key), now.get(key)
        deltas.append({"metric": key, "label": label, "before": b, "now": n,
                       "delta": None if b is None or n is None else n - b})
    old = {r["id"]: r for r in previous.get("records", [])}
    new = {r["id"]: r for r in current["records"]}
    better, worse = [], []
    for qid, entry in new.items():
        f1_before = old.get(qid, {}).get("result", {}).get("f1")
        f1_now = entry["result"]["f1"]
        if f1_before is None or abs(f1_now - f1_before) < 1e-9:
            continue
        change = {
            "id": qid, "question": entry["question"], "answers": entry["answers"],
            "before": _shown(old[qid]), "now": _shown(entry), "f1_before": f1_before, "f1_now": f1_now,
        }
        (better if f1_now > f1_before else worse).append(change)
    return {
        "previous_date": previous.get("meta", {}).get("date"),
        "previous_commit": previous.get("meta", {}).get("git_commit"),
        "previous_threshold": previous.get("meta", {}).get("default_threshold"),
        "metrics": deltas,
        "better": better,
        "worse": worse,
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
    }


def _shown(entry: dict) -> str:
    return entry.get("prediction", "") if entry["result"].get("answered") else ""


def write_report(report: dict, out_dir: Path) -> dict:
    """Write <name>.json, <name>.md and the charts into `out_dir`, comparing with the report they replace.

    Returns the report as written (with "comparison" and "charts" added).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    name = report["name"]
    json_path = out_dir / f"{name}.json"
    previous = read_previous(json_path)
    report = {
        **report,
        "comparison": compare(previous, report) if previous is not None else None,
        "charts": [p.name for p in charts.write_charts(report, out_dir, name)],
    }
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out_dir / f"{name}.md").write_text(render_markdown(report), encoding="utf-8")
    return report


# --- Markdown ------------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _cell(value, is_fraction: bool) -> str:
    if value is None:
        return "–"
    return _pct(value) if is_fraction else str(value)


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{1000 * seconds:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render_markdown(report: dict) -> str:
    """The human-readable report; every figure comes from `report` (so a stored JSON can be re-rendered)."""
    meta, figures = report["meta"], report["metrics"]
    lines = [f"# Evaluation report: {report['name']}", ""]
    lines += _what_was_run(meta)
    lines += ["", f"## Headline figures (the system's own threshold, {meta['default_threshold']:.3f})", ""]
    splits = list(figures["default"])
    lines += _table(["metric", *splits], [
        [label, *(_cell(figures["default"][s].get(key), frac) for s in splits)] for key, label, frac in HEADLINE
    ])
    lines += ["", "Percentages. Overall EM/F1 count an abstention on an unanswerable question as 1 and any answer "
              "to it as 0. Retrieval: the gold sentence among the evidence (answerable questions); in SQuAD "
              "reader mode this measures sentence choice within the question's own paragraph."]
    lines += ["", "## Latency (milliseconds per question)", ""]
    lines += _table(["stage", "p50", "p95", "mean"], [
        [stage, _ms(v["p50"]), _ms(v["p95"]), _ms(v["mean"])] for stage, v in figures["latency"].items()
    ])
    lines += ["", "`wall` is the whole `answer()` call timed by the runner; the other stages come from "
              "`Answer.timings`."]
    lines += ["", "## Threshold sweep", ""] + _sweep(meta, figures)
    if meta.get("verifier"):
        lines += ["", "## The answer verifier's operating point", ""] + _operating_point(meta["verifier"])
    lines += ["", "## By kind (own threshold, all questions run)", ""]
    lines += _table(["kind", "questions", "answerable", "EM", "F1"], [
        [kind, str(v["questions"]), str(v["answerable"]), _pct(v["em"]), _pct(v["f1"])]
        for kind, v in report["by_kind"].items()
    ])
    lines += ["", "## Errors (own threshold)", ""] + _errors_md(report["errors"])
    lines += ["", "## Calibration of `score`", ""] + _calibration(figures["reliability"])
    if "cmrc2018" in Path(meta["set"]).name.lower():
        lines += ["", "## Published CMRC 2018 figures", ""] + _reference(figures["default"]["all"], meta)
    if report.get("charts"):
        lines += ["", "## Charts", ""] + [f"![{name}]({name})" for name in report["charts"]]
    lines += ["", "## Compared with the previous run", ""] + _comparison(report.get("comparison"))
    return "\n".join(lines) + "\n"


def _what_was_run(meta: dict) -> list[str]:
    sample = "all questions"
    if meta["sample"] is not None:
        sample = f"{meta['sample']} answerable + {meta['sample']} unanswerable (where there are), seed {meta['seed']}"
    settings = ", ".join(f"{k}={v}" for k, v in meta["settings"].items())
    rows = [
        ["set", f"`{meta['set']}` ({meta['source']}, {meta['questions_in_file']} questions in the file)"],
        ["mode", meta["mode"]],
        ["questions run", f"{meta['questions_run']} (split: {meta['split']}"
                          + (f", first {meta['limit']}" if meta["limit"] else "") + ")"],
        ["sample", sample],
        ["own threshold", f"{meta['default_threshold']:.3f} (answerers ran at 0.0; thresholds applied afterwards)"],
        ["settings", settings],
        ["git commit", meta.get("git_commit") or "unknown"],
        ["date", meta.get("date", "")],
        ["machine", meta.get("machine", "")],
        ["time", f"building answerers {meta['build_s']:.1f} s, answering {meta['answer_s']:.1f} s"],
    ]
    return ["## What was run", ""] + _table(["", ""], rows)


def _sweep(meta: dict, figures: dict) -> list[str]:
    tuned = figures["tuned"]
    if tuned is None:
        return ["No tune-split questions were run, so no threshold was chosen."]
    lines = [f"Best threshold on the tune split (overall F1): **{tuned['threshold']:.3f}**, "
             f"tune F1 {_pct(tuned['tune_value'])} (the system's own: {meta['default_threshold']:.3f}).", ""]
    keys = ("has_ans_em", "has_ans_f1", "no_ans_acc", "em", "f1", "abstain_precision", "abstain_recall")
    labels = {key: label for key, label, _ in HEADLINE}
    rows = []
    for split, at_tuned in tuned["splits"].items():
        at_default = figures["default"][split]
        for name, values in (("own", at_default), ("tuned", at_tuned)):
            rows.append([split, name, *(_pct(values[k]) for k in keys)])
    lines += _table(["split", "threshold", *(labels[k] for k in keys)], rows)
    lines += ["", "Only the report-split rows are fair estimates: the threshold was chosen on the tune split."]
    return lines


def _operating_point(verifier: dict) -> list[str]:
    point = verifier.get("operating_point") or {}
    held_out = (verifier.get("out_of_fold") or {}).get("article_tune") or {}
    counts = verifier.get("questions") or {}
    fitted_on = ", ".join(f"{n} {source}" for source, n in counts.items())
    weights = verifier.get("weights") or {}
    if weights:
        fitted_on += "; a question weighs " + ", ".join(f"{w:g} in {source}" for source, w in weights.items())
    lines = [
        f"The verifier (`qa fit-verifier`, fitted on tuning questions: {fitted_on}; at commit "
        f"{str(verifier.get('commit'))[:7]}) answers with the best candidate whose probability of being right is at "
        f"least **{verifier.get('threshold')}**. That threshold maximises expected F1 for a mix of "
        f"{point.get('mix', '?')} questions (the article's tune split reweighted to it), with NoAns accuracy on the "
        f"tune split's unanswerable questions at least {point.get('noans_floor', '?')} %.",
        "",
    ]
    if held_out:
        lines += _table(["out of fold, article tune split", "HasAns EM", "HasAns F1", "NoAns", "expected F1"], [[
            f"{held_out.get('questions')} questions", *(str(held_out.get(k)) for k in
                                                        ("hasans_em", "hasans_f1", "noans", "expected_f1"))]])
        draws = len(verifier.get("fold_seeds") or [0])
        scored = (f"by verifiers fitted without it, averaged over {draws} draws of the folds" if draws > 1
                  else "by a verifier fitted without it")
        lines += ["", f"Out of fold: each question scored {scored}. The tune rows of this report are in-sample; the "
                  "report split was never used."]
    return lines


def _errors_md(errors: dict) -> list[str]:
    lines = _table(["category", "count"], [[c, str(n)] for c, n in errors["counts"].items()])
    for category, examples in errors["examples"].items():
        lines += ["", f"**{category}**", ""]
        for e in examples:
            gold = " / ".join(e["answers"]) or "(none)"
            shown = e["prediction"] or "(abstained)"
            why = "; ".join(f"{name} {value:+.2f}" for name, value in e.get("why", []))
            lines.append(f"- `{e['id']}` {e['question']} — gold: {gold} — system: {shown} (score {e['score']:.2f})"
                         + (f" — why: {why}" if why else ""))
    return lines


def _calibration(reliability: dict) -> list[str]:
    rows = [[f"{b['low']:.1f}–{b['high']:.1f}", str(b["count"]),
             "–" if b["mean_score"] is None else f"{b['mean_score']:.2f}", _pct(b["accuracy"])]
            for b in reliability["bins"] if b["count"]]
    ece = "–" if reliability["ece"] is None else f"{reliability['ece']:.3f}"
    return (_table(["score", "candidates", "mean score", "accuracy (EM)"], rows)
            + ["", f"Expected calibration error: {ece} over {reliability['candidates']} candidates (threshold 0)."])


def _reference(ours: dict, meta: dict) -> list[str]:
    rows = [[f"ours ({meta['mode']} mode, {meta['questions_run']} questions)", _pct(ours["em"]), _pct(ours["f1"])]]
    rows += [[system, f"{em:.1f}", f"{f1:.1f}"] for system, em, f1 in CMRC2018_REFERENCE]
    return _table(["system", "EM", "F1"], rows) + [
        "", "Ours is extractive: e5-small retrieval plus rules (and a small reader where shipped), on CPU; the "
        "published models are fine-tuned on the CMRC 2018 training set. Reader-only mode follows the published "
        "reading-comprehension protocol (the model reads the paragraph and always answers); reader mode runs the "
        "whole system on the same paragraph; open mode compares with the open-domain baseline."]


def _comparison(comparison: dict | None) -> list[str]:
    if comparison is None:
        return ["No earlier report of this name; nothing to compare."]
    lines = [f"Previous run: {comparison['previous_date'] or 'unknown date'}, commit "
             f"{comparison['previous_commit'] or 'unknown'}, own threshold "
             + ("unknown" if comparison["previous_threshold"] is None else f"{comparison['previous_threshold']:.3f}")
             + ". Split all, own threshold.", ""]
    fractions = {key: frac for key, _, frac in HEADLINE}
    rows = []
    for d in comparison["metrics"]:
        frac = fractions[d["metric"]]
        delta = "–" if d["delta"] is None else (f"{100 * d['delta']:+.1f}" if frac else f"{d['delta']:+d}")
        rows.append([d["label"], _cell(d["before"], frac), _cell(d["now"], frac), delta])
    lines += _table(["metric", "before", "now", "change"], rows)
    for title, changes in (("Better", comparison["better"]), ("Worse", comparison["worse"])):
        lines += ["", f"**{title} ({len(changes)})**", ""]
        for c in changes[:CHANGES_LISTED]:
            lines.append(f"- `{c['id']}` {c['question']} — gold: {' / '.join(c['answers']) or '(none)'} — "
                         f"{c['before'] or '(abstained)'} → {c['now'] or '(abstained)'} "
                         f"(F1 {_pct(c['f1_before'])} → {_pct(c['f1_now'])})")
        if len(changes) > CHANGES_LISTED:
            lines.append(f"- … and {len(changes) - CHANGES_LISTED} more (see the JSON report)")
    if comparison["added"] or comparison["removed"]:
        lines += ["", f"Questions new in this run: {len(comparison['added'])}; "
                      f"no longer run: {len(comparison['removed'])}."]
    return lines
