"""The geometry of a depot's capacity chart: m3 per day against the capacity line.

Pure presentation: :func:`web.services.depots.capacity_use` gives the numbers; this turns them
into rectangles and ticks in a 400-wide viewBox (narrow, so a phone shows it readably), and the
template draws them as SVG.  No JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH = 400
LEFT = 44  # room for the m3 labels
TOP = 22
PLOT_H = 150
MARKS_H = 26  # the arrivals/departures strip under the axis


@dataclass(frozen=True)
class Bar:
    day: date
    x: float
    w: float
    y_free: float
    h_free: float
    y_promised: float
    h_promised: float
    over: bool
    present_m3: float
    arrivals_m3: float
    departures_m3: float
    room_m3: float


@dataclass(frozen=True)
class CapacityChart:
    width: int
    height: int
    left: int
    top: int
    plot_h: int
    axis_y: float
    capacity_y: float
    capacity_m3: float
    top_m3: float
    bars: list[Bar]
    week_ticks: list[tuple[float, date]]
    marks_y: float


def _scale(value: float, top_m3: float) -> float:
    return PLOT_H * value / top_m3 if top_m3 > 0 else 0.0


def capacity_chart(days: list, capacity_m3: float) -> CapacityChart:  # type: ignore[type-arg]
    """Bars of present m3 (free stock below, promised above) for each ``DayUse`` in ``days``."""
    peak = max((d.present_m3 for d in days), default=0.0)
    top_m3 = max(capacity_m3, peak, 1e-9) * 1.1
    plot_w = WIDTH - LEFT
    step = plot_w / max(len(days), 1)
    axis_y = TOP + PLOT_H
    bars = []
    ticks = []
    for i, d in enumerate(days):
        free = max(min(d.free_stock_m3, d.present_m3), 0.0)
        promised = max(d.present_m3 - free, 0.0)
        h_free, h_promised = _scale(free, top_m3), _scale(promised, top_m3)
        x = LEFT + i * step
        bars.append(Bar(
            day=d.day, x=round(x + step * 0.12, 2), w=round(step * 0.76, 2),
            y_free=round(axis_y - h_free, 2), h_free=round(h_free, 2),
            y_promised=round(axis_y - h_free - h_promised, 2), h_promised=round(h_promised, 2),
            over=d.present_m3 > d.capacity_m3 + 1e-9, present_m3=d.present_m3,
            arrivals_m3=d.arrivals_m3, departures_m3=d.departures_m3, room_m3=d.room_m3,
        ))
        if i % 7 == 0:
            ticks.append((round(x, 2), d.day))
    return CapacityChart(
        width=WIDTH, height=int(axis_y + MARKS_H + 22), left=LEFT, top=TOP, plot_h=PLOT_H,
        axis_y=axis_y, capacity_y=round(axis_y - _scale(capacity_m3, top_m3), 2),
        capacity_m3=capacity_m3, top_m3=top_m3, bars=bars, week_ticks=ticks,
        marks_y=axis_y + 4,
    )
