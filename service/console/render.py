"""What the console's templates need, computed in Python: evidence segments, charts, times.

Nothing here builds HTML from user text: segments are plain strings that the
templates escape; the chart is SVG built only from numbers and fixed labels.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from moderation.classifier.types import CATEGORIES

VERDICTS = ("approve", "review", "reject")


@dataclass(frozen=True)
class Segment:
    """A run of the comment's text and the categories whose evidence covers it."""

    text: str
    categories: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def label(self) -> str:
        """Return the visible label of a highlighted run (the colour is not the only cue)."""
        return " + ".join(self.categories)


def segments(text: str, spans: list[dict]) -> list[Segment]:
    """Split ``text`` at evidence span edges; each piece knows which categories mark it."""
    cuts = {0, len(text)}
    clean = []
    for span in spans:
        start, end = max(0, int(span["start"])), min(len(text), int(span["end"]))
        if start < end:
            clean.append((start, end, span["category"], span["source"]))
            cuts.update((start, end))
    edges = sorted(cuts)
    out: list[Segment] = []
    for a, b in itertools.pairwise(edges):
        covering = [s for s in clean if s[0] <= a and b <= s[1]]
        categories = tuple(c for c in CATEGORIES if any(s[2] == c for s in covering))
        sources = tuple(sorted({s[3] for s in covering}))
        if out and out[-1].categories == categories:
            previous = out[-1]
            out[-1] = Segment(previous.text + text[a:b], categories, tuple(sorted(set(previous.sources) | set(sources))))
        else:
            out.append(Segment(text[a:b], categories, sources))
    return out


def when(seconds: float | None) -> str:
    """Return a short UTC time for display."""
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_iso(value: str | None) -> float | None:
    """Return seconds since the epoch for an ISO time string (None stays None)."""
    if not value:
        return None
    return datetime.fromisoformat(value).timestamp()


def age(seconds: float | None) -> str:
    """Return a duration in words: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def hourly_chart(hours: list[tuple[int, dict[str, int]]], series: tuple[str, ...], prefix: str, title: str) -> str:
    """Return an SVG stacked bar chart of per-hour counts (one bar per hour, one colour per series)."""
    width, height, left, bottom, top = 760, 260, 44, 34, 16
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(counts.get(f"{prefix}:{s}", 0) for s in series) for _, counts in hours]
    peak = max(totals + [1])
    step = _nice_step(peak)
    ceiling = step * -(-peak // step)
    bar_w = plot_w / max(1, len(hours))
    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{prefix}-title" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="{prefix}-title">{escape(title)}</title>'
        )
    ]
    for value in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * value / ceiling
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    for i, (start, counts) in enumerate(hours):
        x = left + i * bar_w
        y = top + plot_h
        described = []
        for name in series:
            n = counts.get(f"{prefix}:{name}", 0)
            described.append(f"{name} {n}")
            if not n:
                continue
            h = plot_h * n / ceiling
            y -= h
            parts.append(f'<rect class="series-{name}" x="{x + 1:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}"/>')
        hour = datetime.fromtimestamp(start, UTC).strftime("%H:00")
        parts.append(
            f'<rect class="hover" x="{x:.1f}" y="{top}" width="{bar_w:.1f}" height="{plot_h}">'
            f"<title>{hour} UTC: {escape(', '.join(described))}</title></rect>"
        )
        if i % 3 == 0:
            parts.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">{hour}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(peak: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000):
        if peak / step <= 5:
            return step
    return 10 ** len(str(peak))
