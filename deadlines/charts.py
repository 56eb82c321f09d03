"""Server-side SVG charts for the weekly tracker screen (issue #5 §4).

Built in Python, so they render with no JavaScript and no network; the page's CSP forbids inline
script and style attributes, so everything is SVG geometry plus the app-chart* classes from
static/scss/app.scss. Each bar is a link to the cases behind it; every chart also has a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 900
LABEL_WIDTH = 320
VALUE_GAP = 8
ROW = 34
BAR = 22
MAX_LABEL = 36


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, value, optional text shown after it, link, and whether it is a warning."""

    label: str
    value: float
    href: str = ""
    text: str = ""
    warning: bool = False


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, maximum: float | None = None) -> SafeString:
    """A horizontal bar chart as inline SVG (accessible name from <title>, data in <desc>)."""
    top = max((b.value for b in bars), default=0)
    scale_max = maximum if maximum is not None else top
    plot = WIDTH - LABEL_WIDTH - 70
    height = max(ROW * len(bars), ROW)
    # An image cannot hold links (axe "nested-interactive"): a chart whose bars drill down is a
    # labelled group of links instead, still named by its title and described by its data.
    role = "group" if any(b.href for b in bars) else "img"
    parts = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="{role}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape("; ".join(f"{b.label}: {b.text or _num(b.value)}" for b in bars))}</desc>',
    ]
    for i, b in enumerate(bars):
        y = i * ROW
        width = 0 if not scale_max else round(plot * b.value / scale_max, 1)
        label = b.label if len(b.label) <= MAX_LABEL else b.label[: MAX_LABEL - 1] + "…"
        cls = "app-chart__bar app-chart__bar--red" if b.warning else "app-chart__bar"
        shown = escape(b.text or _num(b.value))
        # A bar for a non-zero value is at least 1 unit wide, so it can be seen and clicked.
        drawn = max(width, 1 if b.value else 0)
        row = (
            f'<text class="app-chart__label" x="0" y="{y + ROW / 2}" dominant-baseline="middle">{escape(label)}</text>'
            f'<rect class="{cls}" x="{LABEL_WIDTH}" y="{y + (ROW - BAR) / 2}" width="{drawn}" height="{BAR}">'
            f"<title>{escape(b.label)}: {shown}</title></rect>"
            f'<text class="app-chart__label" x="{LABEL_WIDTH + width + VALUE_GAP}" y="{y + ROW / 2}" '
            f'dominant-baseline="middle">{shown}</text>'
        )
        if b.href:
            row = f'<a href="{escape(b.href)}" aria-label="{escape(b.label)}: {shown}">{row}</a>'
        parts.append(row)
    parts.append("</svg>")
    svg = "".join(parts)
    return mark_safe(svg)  # nosec B308 B703: every part was built here from escaped values


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


# --- Charts over time (the weekly tracker's history, issue 13 §5) ------------------------------

T_WIDTH = 900
T_HEIGHT = 240
T_LEFT = 44
T_BOTTOM = 34
T_TOP = 10


@dataclass(frozen=True, slots=True)
class Series:
    """One series over the weeks; `href` per point (optional) links a column to its drill-down."""

    label: str
    values: Sequence[float | None]
    hrefs: Sequence[str] = ()


def _ticks(top: float, maximum: float | None) -> list[float]:
    if maximum is not None:
        return [0, maximum / 2, maximum]
    if top <= 0:
        return [0]
    step = max(1, round(top / 4))
    return [float(v) for v in range(0, int(top) + step, step)]


def time_chart(
    weeks: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    kind: str = "stacked",
    maximum: float | None = None,
    unit: str = "",
) -> SafeString:
    """Weekly columns (stacked or side by side) or lines, as inline SVG with the figures in <desc>.

    `weeks` are the x-axis labels; every `label_every`th is drawn so 52 weeks stay legible.
    """
    n = max(len(weeks), 1)
    plot_w = T_WIDTH - T_LEFT - 10
    plot_h = T_HEIGHT - T_BOTTOM - T_TOP
    if kind == "stacked":
        totals = [sum(s.values[i] or 0 for s in series) for i in range(len(weeks))]
        top = max(totals, default=0)
    else:
        top = max((v or 0 for s in series for v in s.values), default=0)
    scale = maximum if maximum is not None else (max(_ticks(top, None)) or 1)
    slot = plot_w / n
    linked = kind != "line" and any(s.hrefs for s in series)

    def y(value: float) -> float:
        return round(T_TOP + plot_h - plot_h * value / scale, 1) if scale else T_TOP + plot_h

    desc = "; ".join(
        f"{s.label}: "
        + ", ".join(f"{w} {'–' if v is None else _num(v)}{unit}" for w, v in zip(weeks, s.values, strict=False))
        for s in series
    )
    parts = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {T_WIDTH} {T_HEIGHT}" '
        # A chart with links is a group of links (an image may not hold interactive parts).
        f'width="{T_WIDTH}" height="{T_HEIGHT}" role="{"group" if linked else "img"}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for tick in _ticks(top, maximum):
        ty = y(tick)
        parts.append(f'<line class="app-chart__axis" x1="{T_LEFT}" x2="{T_WIDTH - 10}" y1="{ty}" y2="{ty}"/>')
        parts.append(
            f'<text class="app-chart__tick" x="{T_LEFT - 6}" y="{ty}" text-anchor="end" '
            f'dominant-baseline="middle">{_num(tick)}{escape(unit)}</text>'
        )
    label_every = max(1, round(n / 13))
    for i, week in enumerate(weeks):
        if i % label_every == 0 or i == n - 1:
            x = round(T_LEFT + slot * i + slot / 2, 1)
            parts.append(
                f'<text class="app-chart__tick" x="{x}" y="{T_HEIGHT - 12}" text-anchor="middle">{escape(week)}</text>'
            )
    if kind == "line":
        for k, s in enumerate(series):
            # A week with no value breaks the line: no slope is drawn across weeks without data.
            segments: list[list[tuple[float, float]]] = [[]]
            for i, v in enumerate(s.values):
                if v is None:
                    segments.append([])
                else:
                    segments[-1].append((round(T_LEFT + slot * i + slot / 2, 1), y(v)))
            for segment in segments:
                if len(segment) > 1:
                    path = " ".join(f"{x},{py}" for x, py in segment)
                    parts.append(f'<polyline class="app-chart__line app-chart__series--{k % 4}" points="{path}"/>')
            for x, py in (point for segment in segments for point in segment):
                parts.append(f'<circle class="app-chart__series--{k % 4}" cx="{x}" cy="{py}" r="3"/>')
    else:
        gap = max(1.0, slot * 0.15)
        width = slot - 2 * gap
        for i in range(len(weeks)):
            base = 0.0
            for k, s in enumerate(series):
                value = s.values[i] or 0
                if kind == "stacked":
                    x, w, bottom, top_v = T_LEFT + slot * i + gap, width, base, base + value
                    base = top_v
                else:
                    w = width / len(series)
                    x, bottom, top_v = T_LEFT + slot * i + gap + w * k, 0.0, value
                if not value:
                    continue
                rect = (
                    f'<rect class="app-chart__series--{k % 4}" x="{round(x, 1)}" y="{y(top_v)}" '
                    f'width="{round(max(w, 1), 1)}" height="{round(y(bottom) - y(top_v), 1)}">'
                    f"<title>{escape(s.label)}, {escape(weeks[i])}: {_num(value)}{escape(unit)}</title></rect>"
                )
                href = s.hrefs[i] if i < len(s.hrefs) else ""
                if href:
                    name = escape(f"{s.label}, {weeks[i]}: {_num(value)}")
                    rect = f'<a href="{escape(href)}" aria-label="{name}">{rect}</a>'
                parts.append(rect)
    parts.append("</svg>")
    svg = "".join(parts)
    return mark_safe(svg)  # nosec B308 B703: every part built here from escaped values and numbers
