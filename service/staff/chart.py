"""Charts as server-rendered SVG (no JavaScript, no CDN): questions per day by status, and feedback per day.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` summing it up, a `<title>` tooltip per
day, and colours with at least 3:1 contrast on white; the page adds a table of the same numbers.
Every piece of text is escaped here, so the markup can be inserted into a template as is.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from service.staff.insights import DayTotals

WIDTH = 760
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 30, 30  # plot margins: y labels, -, legend, x labels
MAX_X_LABELS = 8
BAR_SHARE = 0.72  # of each day's slot
SERIES = (  # field, label, colour (contrast on white: 6.3, 3.9, 6.0)
    ("answered", "Answered", "#0b6e4f"),
    ("no_answer", "Not answered", "#707a8a"),
    ("emergency", "Emergency", "#b42318"),
)
HELPFUL = ("helpful", "Helpful", "#0b6e4f")
NOT_HELPFUL = ("not_helpful", "Not helpful", "#b54708")  # 4.9:1


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def nice_max(value: int) -> tuple[int, int]:
    """An axis top at or above `value` and its tick step (1, 2 or 5 × 10^n, at most 5 ticks above 0)."""
    if value <= 0:
        return 1, 1
    for power in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10**power
            if math.ceil(value / step) <= 5:
                return step * math.ceil(value / step), step
    return value, value  # pragma: no cover - more than 5e11 questions a day


def short_day(day: str) -> str:
    """"2024-05-03" → "May 3"."""
    d = date.fromisoformat(day)
    return f"{d.strftime('%b')} {d.day}"


def _x_labels(days: Sequence[DayTotals], x0: float, slot: float, y: float) -> list[str]:
    """Day labels under the axis: at most MAX_X_LABELS, always including the last day."""
    every = max(1, math.ceil(len(days) / MAX_X_LABELS))
    return [f'<text class="x-label" x="{x0 + slot * (i + 0.5):.1f}" y="{y:.1f}" text-anchor="middle">'
            f"{_e(short_day(d.day))}</text>"
            for i, d in enumerate(days) if (len(days) - 1 - i) % every == 0]


def _legend(items: Sequence[tuple[str, str, str]], y: float) -> list[str]:
    parts, x = [], float(LEFT)
    for _, label, colour in items:
        parts.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" rx="2" fill="{_e(colour)}"/>'
                     f'<text class="legend" x="{x + 17:.1f}" y="{y:.1f}">{_e(label)}</text>')
        x += 17 + 7.5 * len(label) + 22
    return parts


def _svg(chart_id: str, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
            f'height="{height}" role="img" aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" '
            f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
            f'<title id="{_e(chart_id)}-title">{_e(title)}</title><desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")  # every text and attribute above is escaped


def _grid(top: int, step: int, y_zero: float, scale: float, below: bool = False) -> list[str]:
    """Horizontal grid lines with their values; with `below`, mirrored under the zero line too."""
    parts = []
    for value in range(0, top + 1, step):
        for sign in ((1, -1) if below and value else (1,)):
            y = y_zero - sign * value * scale
            parts.append(f'<line class="grid{" zero" if value == 0 else ""}" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                         f'y1="{y:.1f}" y2="{y:.1f}"/><text class="y-label" x="{LEFT - 6}" y="{y + 4:.1f}" '
                         f'text-anchor="end">{value}</text>')
    return parts


def questions_chart(days: Sequence[DayTotals], chart_id: str = "questions-chart", height: int = 260) -> Markup:
    """Stacked bars: each day's questions, answered at the bottom, then not answered, then emergencies."""
    total = sum(d.questions for d in days)
    plot_h = height - TOP - BOTTOM
    top, step = nice_max(max((d.questions for d in days), default=0))
    scale = plot_h / top
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bar = max(slot * BAR_SHARE, 1.0)
    y_zero = TOP + plot_h
    body = [*_legend(SERIES, 16), *_grid(top, step, y_zero, scale)]
    for i, d in enumerate(days):
        if not d.questions:
            continue
        x = LEFT + slot * i + (slot - bar) / 2
        tip = (f"{d.day}: {d.questions} question{'s' if d.questions != 1 else ''} — {d.answered} answered, "
               f"{d.no_answer} not answered, {d.emergency} emergenc{'ies' if d.emergency != 1 else 'y'}")
        y = y_zero
        rects = []
        for field, _, colour in SERIES:
            h = getattr(d, field) * scale
            if h:
                y -= h
                rects.append(f'<rect class="bar bar-{field}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                             f'height="{h:.1f}" fill="{_e(colour)}"/>')
        body.append(f'<g class="day" data-day="{_e(d.day)}"><title>{_e(tip)}</title>{"".join(rects)}</g>')
    body += _x_labels(days, LEFT, slot, height - 10)
    if not total:
        body.append(f'<text class="empty" x="{WIDTH / 2:.0f}" y="{TOP + plot_h / 2:.0f}" text-anchor="middle">'
                    "No questions in this period</text>")
    answered = sum(d.answered for d in days)
    desc = (f"{total} questions over {len(days)} days ({days[0].day} to {days[-1].day}): {answered} answered, "
            f"{sum(d.no_answer for d in days)} not answered, {sum(d.emergency for d in days)} emergencies; "
            f"busiest day {max(days, key=lambda d: d.questions).day if total else 'none'}.") if days else "No days."
    return _svg(chart_id, height, "Questions per day by outcome", desc, body)


def feedback_chart(days: Sequence[DayTotals], chart_id: str = "feedback-chart", height: int = 180) -> Markup:
    """Diverging bars: each day's "helpful" votes above the line, "not helpful" below it."""
    plot_h = height - TOP - BOTTOM
    top, step = nice_max(max((max(d.helpful, d.not_helpful) for d in days), default=0))
    scale = plot_h / 2 / top
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bar = max(slot * BAR_SHARE, 1.0)
    y_zero = TOP + plot_h / 2
    body = [*_legend((HELPFUL, NOT_HELPFUL), 16), *_grid(top, step, y_zero, scale, below=True)]
    for i, d in enumerate(days):
        if not (d.helpful or d.not_helpful):
            continue
        x = LEFT + slot * i + (slot - bar) / 2
        tip = f"{d.day}: {d.helpful} helpful, {d.not_helpful} not helpful"
        up, down = d.helpful * scale, d.not_helpful * scale
        rects = []
        if up:
            rects.append(f'<rect class="bar bar-helpful" x="{x:.1f}" y="{y_zero - up:.1f}" width="{bar:.1f}" '
                         f'height="{up:.1f}" fill="{HELPFUL[2]}"/>')
        if down:
            rects.append(f'<rect class="bar bar-not_helpful" x="{x:.1f}" y="{y_zero:.1f}" width="{bar:.1f}" '
                         f'height="{down:.1f}" fill="{NOT_HELPFUL[2]}"/>')
        body.append(f'<g class="day" data-day="{_e(d.day)}"><title>{_e(tip)}</title>{"".join(rects)}</g>')
    body += _x_labels(days, LEFT, slot, height - 10)
    helpful, not_helpful = sum(d.helpful for d in days), sum(d.not_helpful for d in days)
    if not (helpful or not_helpful):
        body.append(f'<text class="empty" x="{WIDTH / 2:.0f}" y="{y_zero - 8:.0f}" text-anchor="middle">'
                    "No votes in this period</text>")
    desc = f"Visitors' votes over {len(days)} days: {helpful} helpful, {not_helpful} not helpful."
    return _svg(chart_id, height, "Feedback per day", desc, body)
