"""Reports over time as inline SVG geometry: per day (bars) and cumulative (a line).

Computed here and drawn by ``templates/staff/_charts.html``, so the page needs
no JavaScript and every figure is also in the table printed below the charts.
"""
from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 28


@dataclass(frozen=True)
class Day:
    day: date
    count: int
    cumulative: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: Day


@dataclass(frozen=True)
class Axis:
    ticks: list          # (y, label) pairs, bottom to top
    labels: list         # (x, label) pairs along the bottom


@dataclass(frozen=True)
class TimeCharts:
    days: list           # every day in the range, zeros included
    bars: list
    bar_axis: Axis
    line_points: str     # SVG polyline points for the cumulative count
    line_axis: Axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = _LEFT
    baseline: int = HEIGHT - _BOTTOM

    @property
    def total(self):
        return self.days[-1].cumulative if self.days else 0

    @property
    def busiest(self) -> Day | None:
        return max(self.days, key=lambda d: d.count) if self.total else None


def reports_over_time(by_day: dict, first: date, last: date) -> TimeCharts:
    """Charts for the days ``first``..``last`` (widened to cover every day in ``by_day``)."""
    counted = {date.fromisoformat(day): int(count) for day, count in by_day.items()}
    if counted:
        first, last = min(first, min(counted)), max(last, max(counted))
    days, running = [], 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        running += counted.get(day, 0)
        days.append(Day(day, counted.get(day, 0), running))
    plot_width, plot_height = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    slot = plot_width / max(len(days), 1)
    bar_top = nice_ceiling(max((d.count for d in days), default=0))
    line_top = nice_ceiling(running)

    def y(value, top):
        return round(_TOP + plot_height * (1 - value / top), 1)

    bars = [Bar(round(_LEFT + i * slot + slot * 0.1, 1), y(d.count, bar_top), round(slot * 0.8, 1),
                round(plot_height * d.count / bar_top, 1), d) for i, d in enumerate(days)]
    points = " ".join(f"{round(_LEFT + (i + 0.5) * slot, 1)},{y(d.cumulative, line_top)}"
                      for i, d in enumerate(days))
    labels = _date_labels(days, slot)
    return TimeCharts(days, bars, Axis(_ticks(bar_top, y), labels), points, Axis(_ticks(line_top, y), labels))


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... at or above ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _ticks(top, y):
    return [(y(value, top), f"{value:,}") for value in sorted({0, top // 2, top})]


def _date_labels(days, slot):
    every = max(1, round(len(days) / 6))   # about six labels, however long the campaign
    return [(round(_LEFT + (i + 0.5) * slot, 1), d.day.strftime("%d %b")) for i, d in enumerate(days)
            if i % every == 0]


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    action: str
    count: int


@dataclass(frozen=True)
class OfficialBar:
    label: str
    y: float
    total: int
    segments: list


@dataclass(frozen=True)
class OfficialsChart:
    """Actions by official: one bar per official (and one for actions sent to several at
    once, unattributed), a segment per action type, as long as its count."""
    bars: list
    actions: list        # the legend, in the campaign's order
    width: int
    height: int
    left: int
    bar_height: int


_ROW, _BAR, _LABEL = 34, 22, 200


def actions_by_official(table: dict, labels: dict, actions) -> OfficialsChart:
    """Geometry for ``table`` ({row: {action: count}}) with ``labels`` {row: name}."""
    rows = list(table)
    top = nice_ceiling(max((sum(table[row].values()) for row in rows), default=0))
    plot = WIDTH - _LABEL - _RIGHT
    bars = []
    for index, row in enumerate(rows):
        x, segments = float(_LABEL), []
        for action in actions:
            count = table[row].get(action, 0)
            width = round(plot * count / top, 1)
            if count:
                segments.append(Segment(round(x, 1), width, action, count))
            x += width
        bars.append(OfficialBar(labels.get(row, row), _TOP + index * _ROW, sum(table[row].values()), segments))
    return OfficialsChart(bars, list(actions), WIDTH, _TOP * 2 + max(len(rows), 1) * _ROW, _LABEL, _BAR)
