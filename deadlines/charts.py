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
    parts = [
        f'<svg class="app-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
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
    # bandit B308/B703: every part was built here from escaped values
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
