"""The audit report as one self-contained HTML page: no script, no network, the plots are
inline SVG drawn here (a handful of bars and lines need no plotting library).

Plots: certificates recorded and revoked per CA per month (lines), certificates by scope and
center (bars). Then every source with its record counts, and every difference with the chain
events it rests on (the first ``MAX_ROWS``; the JSON report has them all).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from huren.node.audit.report import AuditReport

__all__ = ["MAX_ROWS", "bar_chart", "line_chart", "month_range", "render_html"]

MAX_ROWS = 2_000
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 60, 150, 30, 60


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _ticks(top: int) -> list[int]:
    """About five round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0, 1]
    step = 1
    while top / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 5:
                break
    return list(range(0, top + step, step))


def _frame(title: str, ticks: list[int]) -> tuple[list[str], float]:
    """The SVG start, title, y axis and grid; the pixels per unit."""
    plot_h = HEIGHT - TOP - BOTTOM
    scale = plot_h / ticks[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{_e(title)}">',
        f'<text x="{LEFT}" y="18" font-weight="bold">{_e(title)}</text>',
    ]
    for t in ticks:
        y = HEIGHT - BOTTOM - t * scale
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{t}</text>'
        )
    return parts, scale


def _legend(names: Sequence[str]) -> list[str]:
    out = []
    for i, name in enumerate(names):
        y = TOP + 16 * i
        colour = PALETTE[i % len(PALETTE)]
        out.append(
            f'<rect x="{WIDTH - RIGHT + 12}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{WIDTH - RIGHT + 26}" y="{y + 9}" font-size="11">{_e(name)}</text>'
        )
    return out


def month_range(months: Iterable[str]) -> list[str]:
    """Every ``YYYY-MM`` from the earliest of ``months`` to the latest (a month without
    events is a zero on the plot, not a gap the line skips)."""
    present = sorted(set(months))
    if not present:
        return []
    year, month = map(int, present[0].split("-"))
    out = []
    while True:
        label = f"{year:04d}-{month:02d}"
        out.append(label)
        if label >= present[-1]:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def line_chart(
    title: str, series: dict[str, dict[str, int]], xs: Sequence[str] | None = None
) -> str:
    """One line per series over ``xs`` (default: the union of their x values, sorted)."""
    if xs is None:
        xs = sorted({x for values in series.values() for x in values})
    if not xs or not series:
        return f"<p>{_e(title)}: nothing to plot.</p>"
    top = max(v for values in series.values() for v in values.values())
    parts, scale = _frame(title, _ticks(top))
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(len(xs) - 1, 1)
    label_every = max(1, len(xs) // 12)
    for i, x in enumerate(xs):
        if i % label_every == 0:
            px = LEFT + i * step
            parts.append(
                f'<text x="{px:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="10" '
                f'text-anchor="end" transform="rotate(-40 {px:.1f} {HEIGHT - BOTTOM + 16})">'
                f"{_e(x)}</text>"
            )
    for n, (name, values) in enumerate(series.items()):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(
            f"{LEFT + i * step:.1f},{HEIGHT - BOTTOM - values.get(x, 0) * scale:.1f}"
            for i, x in enumerate(xs)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        for i, x in enumerate(xs):
            v = values.get(x, 0)
            cx, cy = LEFT + i * step, HEIGHT - BOTTOM - v * scale
            parts.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.5" fill="{colour}">'
                f"<title>{_e(name)} {_e(x)}: {v}</title></circle>"
            )
    parts += _legend(list(series))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(title: str, values: dict[str, int]) -> str:
    """One bar per key."""
    if not values:
        return f"<p>{_e(title)}: nothing to plot.</p>"
    parts, scale = _frame(title, _ticks(max(values.values())))
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / len(values)
    width = min(60.0, slot * 0.7)
    for i, (name, v) in enumerate(values.items()):
        x = LEFT + i * slot + (slot - width) / 2
        h = v * scale
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{_e(name)}: {v}</title></rect>'
            f'<text x="{x + width / 2:.1f}" y="{HEIGHT - BOTTOM - h - 4:.1f}" font-size="11" '
            f'text-anchor="middle">{v}</text>'
        )
    parts += _legend(list(values))
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code { font-size: 12px; word-break: break-all; }
.clean { color: #2a7a2a; } .dirty { color: #b00020; }
svg { display: block; margin: 1em 0; font-family: system-ui, sans-serif; }
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "<br>".join(f"{_e(k)}: <code>{_e(v)}</code>" for k, v in value.items())
    return f"<code>{_e(value)}</code>"


def render_html(report: AuditReport) -> str:
    """The page for ``report``."""
    r = report
    verdict = (
        '<p class="clean"><b>No differences.</b></p>'
        if r.clean
        else f'<p class="dirty"><b>{len(r.differences)} difference(s), '
        f"{len(r.anomalies)} anomal(ies).</b></p>"
    )
    chain = _table(
        ["chain id", "Consortium", "CertificateRegistry", "deployment block", "replayed to"],
        [
            [
                _e(r.chain_id),
                f"<code>{_e(r.consortium)}</code>",
                f"<code>{_e(r.registry)}</code>",
                _e(r.deployment_block),
                f"{_e(r.replayed_block)} <code>{_e(r.replayed_block_hash)}</code>",
            ]
        ],
    )
    records = _table(["record", "replayed"], [[_e(k), _e(v)] for k, v in r.records.items()])
    sources = _table(
        ["source", "records shown", "differences", "notes"],
        [
            [
                _e(s.source),
                ", ".join(f"{_e(k)} {v}" for k, v in s.records.items()),
                _e(s.differences),
                "<br>".join(_e(n) for n in s.notes),
            ]
            for s in r.sources
        ],
    )
    rows = []
    for d in r.differences[:MAX_ROWS]:
        evidence = "<br>".join(
            f"{_e(e.event)} block {e.block_number} <code>{_e(e.block_hash)}</code> "
            f"tx <code>{_e(e.transaction_hash)}</code> log {e.log_index}"
            for e in d.evidence
        )
        rows.append(
            [
                _e(d.source),
                _e(d.difference),
                _e(d.record),
                f"<code>{_e(d.key)}</code>",
                _e(d.field or ""),
                _value(d.expected),
                _value(d.actual),
                evidence,
            ]
        )
    differences = _table(
        ["source", "difference", "record", "key", "field", "chain", "source says", "evidence"],
        rows,
    )
    more = (
        f"<p>Showing {MAX_ROWS} of {len(r.differences)}; the JSON report has them all.</p>"
        if len(r.differences) > MAX_ROWS
        else ""
    )
    anomalies = _table(
        ["anomaly", "block", "tx", "log"],
        [
            [_e(w), _e(e.block_number), f"<code>{_e(e.transaction_hash)}</code>", _e(e.log_index)]
            for w, e in r.anomalies
        ],
    )
    s = r.stats
    months = month_range(m for per_ca in (*s.issued.values(), *s.revoked.values()) for m in per_ca)
    plots = "".join(
        [
            line_chart("Certificates recorded per CA per month", s.issued, months),
            line_chart("Certificates revoked per CA per month", s.revoked, months),
            bar_chart("Certificates by scope and center", s.by_scope_center),
        ]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>huren audit: replay of chain {_e(r.chain_id)}</title><style>{_STYLE}</style>"
        "</head><body>"
        f"<h1>Registry audit: replay from the deployment block</h1>"
        f"<p>Generated {_e(r.generated_at.isoformat())}; {r.events} events replayed in "
        f"{r.replay_seconds:.2f} s.</p>{verdict}"
        f"<h2>Chain</h2>{chain}<h2>Replayed records</h2>{records}"
        f"<h2>Sources compared</h2>{sources}"
        f"<h2>Differences</h2>{differences if r.differences else '<p>None.</p>'}{more}"
        f"<h2>Anomalies on chain</h2>{anomalies if r.anomalies else '<p>None.</p>'}"
        f"<h2>Plots</h2>{plots}"
        "</body></html>\n"
    )
