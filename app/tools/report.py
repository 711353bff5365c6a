"""Summaries and HTML reports of a scoring run.

Why: after scoring an evaluation set, the first questions are "what is the mean reward, where do
zeros come from, which items are slow" — the summary answers them in the terminal, the HTML
report adds reward histograms and length-vs-reward plots. Charts are inline SVG, so the report
is one self-contained file with no plotting dependency.
"""

from __future__ import annotations

import html
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunSummary", "ScoredRow", "render_html", "render_text", "summarize"]


@dataclass(frozen=True, slots=True)
class ScoredRow:
    """What the report needs of one scored row (a line of the output JSONL)."""

    id: str
    rewards: Mapping[str, float | None]
    accuracy: float | None
    total: float | None
    completion_chars: int
    elapsed_s: float
    reasons: Mapping[str, str] = field(default_factory=dict)  # reward -> reason/verdict code
    group: str | None = None  # value of the --by field


@dataclass(frozen=True, slots=True)
class RewardStats:
    name: str
    count: int
    scored: int
    mean: float | None
    std: float | None


@dataclass(frozen=True, slots=True)
class RunSummary:
    rows: int
    errors: int
    rewards: tuple[RewardStats, ...]
    accuracy_by_group: Mapping[str, tuple[int, float | None]]
    verdicts: Mapping[str, Mapping[str, int]]
    slowest: tuple[tuple[str, float], ...]


def summarize(rows: Sequence[ScoredRow], errors: int = 0, slowest_n: int = 5) -> RunSummary:
    """Per reward mean/std (over scorable rows), accuracy per group, verdict counts, slowest."""
    names: list[str] = sorted({n for r in rows for n in r.rewards})
    stats = []
    for name in names:
        vals = [v for r in rows if (v := r.rewards.get(name)) is not None]
        stats.append(
            RewardStats(
                name=name,
                count=sum(1 for r in rows if name in r.rewards),
                scored=len(vals),
                mean=statistics.fmean(vals) if vals else None,
                std=statistics.pstdev(vals) if len(vals) > 1 else (0.0 if vals else None),
            )
        )
    by_group: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, int] = Counter()
    for r in rows:
        key = r.group if r.group is not None else "(all)"
        counts[key] += 1
        if r.accuracy is not None:
            by_group[key].append(r.accuracy)
    acc = {k: (counts[k], statistics.fmean(by_group[k]) if by_group[k] else None) for k in sorted(counts)}
    verdicts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in rows:
        for name, reason in r.reasons.items():
            verdicts[name][reason] += 1
    slowest = tuple((r.id, r.elapsed_s) for r in sorted(rows, key=lambda r: -r.elapsed_s)[:slowest_n])
    return RunSummary(
        rows=len(rows),
        errors=errors,
        rewards=tuple(stats),
        accuracy_by_group=acc,
        verdicts={k: dict(v) for k, v in sorted(verdicts.items())},
        slowest=slowest,
    )


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def render_text(s: RunSummary) -> str:
    """The end-of-run summary printed by ``arbiter score``."""
    out = [
        f"rows scored: {s.rows}   rows with input errors: {s.errors}",
        "",
        "reward            mean     std      scored",
    ]
    for r in s.rewards:
        out.append(f"{r.name:<16} {_fmt(r.mean):>8} {_fmt(r.std):>8}  {r.scored}/{r.count}")
    if s.accuracy_by_group:
        out += ["", "accuracy by group:"]
        out += [f"  {k}: {_fmt(a)} (n={n})" for k, (n, a) in s.accuracy_by_group.items()]
    if s.verdicts:
        out += ["", "verdicts:"]
        for name, c in s.verdicts.items():
            out.append(
                f"  {name}: " + ", ".join(f"{k}={v}" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))
            )
    if s.slowest:
        out += ["", "slowest items:"]
        out += [f"  {rid}: {t * 1000:.1f} ms" for rid, t in s.slowest]
    return "\n".join(out)


def _histogram_svg(values: Sequence[float], title: str, bins: int = 20, w: int = 420, h: int = 220) -> str:
    lo, hi = min(values), max(values)
    if math.isclose(lo, hi):
        lo, hi = lo - 0.5, hi + 0.5
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / (hi - lo) * bins))] += 1
    top = max(counts) or 1
    pad, bw = 30, (w - 40) / bins
    bars = []
    for i, c in enumerate(counts):
        bh = (h - 2 * pad) * c / top
        bars.append(
            f'<rect x="{pad + i * bw:.1f}" y="{h - pad - bh:.1f}" width="{bw - 1:.1f}" height="{bh:.1f}" '
            f'fill="#4878a8"><title>{c}</title></rect>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{html.escape(title)}">'
        f'<text x="{pad}" y="18" font-size="13">{html.escape(title)} (n={len(values)})</text>'
        + "".join(bars)
        + f'<text x="{pad}" y="{h - 8}" font-size="11">{lo:.3g}</text>'
        f'<text x="{w - 50}" y="{h - 8}" font-size="11">{hi:.3g}</text></svg>'
    )


def _scatter_svg(points: Sequence[tuple[float, float]], title: str, w: int = 420, h: int = 220) -> str:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) or 1.0
    y0, y1 = min(ys), max(ys)
    if math.isclose(x0, x1):
        x1 = x0 + 1
    if math.isclose(y0, y1):
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = 30
    dots = "".join(
        f'<circle cx="{pad + (x - x0) / (x1 - x0) * (w - 2 * pad):.1f}" '
        f'cy="{h - pad - (y - y0) / (y1 - y0) * (h - 2 * pad):.1f}" r="2.5" fill="#c0504d" fill-opacity="0.6"/>'
        for x, y in points
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{html.escape(title)}">'
        f'<text x="{pad}" y="18" font-size="13">{html.escape(title)}</text>{dots}'
        f'<text x="{pad}" y="{h - 8}" font-size="11">chars {x0:.0f}…{x1:.0f}</text></svg>'
    )


def render_html(s: RunSummary, rows: Sequence[ScoredRow], source: str) -> str:
    """A self-contained HTML report: the summary tables, one histogram and one
    length-vs-reward scatter plot per reward."""
    charts: list[str] = []
    for r in s.rewards:
        vals = [v for row in rows if (v := row.rewards.get(r.name)) is not None]
        if not vals:
            continue
        charts.append(_histogram_svg(vals, f"{r.name}: histogram"))
        pts = [(float(row.completion_chars), v) for row in rows if (v := row.rewards.get(r.name)) is not None]
        charts.append(_scatter_svg(pts, f"{r.name} vs completion length"))
    rows_html = "".join(
        f"<tr><td>{html.escape(r.name)}</td><td>{_fmt(r.mean)}</td><td>{_fmt(r.std)}</td><td>{r.scored}/{r.count}</td></tr>"
        for r in s.rewards
    )
    acc_html = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{n}</td><td>{_fmt(a)}</td></tr>"
        for k, (n, a) in s.accuracy_by_group.items()
    )
    verdict_html = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(code)}</td><td>{count}</td></tr>"
        for name, c in s.verdicts.items()
        for code, count in sorted(c.items())
    )
    meta: dict[str, Any] = {"rows": s.rows, "input errors": s.errors}
    meta_html = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in meta.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Arbiter scoring report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px}}svg{{margin:6px;border:1px solid #eee}}</style></head>
<body><h1>Arbiter scoring report</h1><p>Source: {html.escape(source)}</p><ul>{meta_html}</ul>
<h2>Rewards</h2><table><tr><th>reward</th><th>mean</th><th>std</th><th>scored</th></tr>{rows_html}</table>
<h2>Accuracy by group</h2><table><tr><th>group</th><th>rows</th><th>accuracy</th></tr>{acc_html}</table>
<h2>Verdicts</h2><table><tr><th>reward</th><th>code</th><th>count</th></tr>{verdict_html}</table>
<h2>Charts</h2><div id="charts">{"".join(charts)}</div>
</body></html>
"""
