"""An SVG timeline of one evaluation result: marks on their dates, coloured by status, labels never overlapping."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.sax.saxutils import escape

# STATUS_WORDS: the status of a mark in Dutch, for its <title> and the table beside the picture.
from .sheets.words import STATUS_WORDS, date_text

# Geometry, in SVG user units. Label widths are estimated generously from the character count
# (a sans-serif glyph averages ~0.55 em), and the estimate is what the overlap check relies on.
WIDTH = 960
MARGIN = 24
FONT_SIZE = 11
CHAR_WIDTH = 0.62 * FONT_SIZE
LANE_HEIGHT = 18
LABEL_GAP = 8
AXIS_GAP = 22
SPAN_HEIGHT = 8
# Shade the calendar's non-working days only when a day is wide enough to see.
SHADE_DAYS_UP_TO = 92
MONTHS_SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
KIND_WORDS = {"deadline": "termijn", "report": "rapportage", "payment": "betaling", "event": "gebeurtenis"}


@dataclass(frozen=True)
class Entry:
    """One dated thing the timeline shows, before any geometry."""

    kind: str          # deadline | report | payment | event
    label: str
    date: dt.date
    status: str        # a status word of the result, or the kind itself for reports and events


@dataclass(frozen=True)
class SpanEntry:
    label: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Box") -> bool:
        return self.x0 < other.x1 and other.x0 < self.x1 and self.y0 < other.y1 and other.y0 < self.y1


@dataclass(frozen=True)
class PlacedMark:
    entry: Entry
    x: float
    label: Box


@dataclass(frozen=True)
class Layout:
    start: dt.date
    end: dt.date
    width: float
    height: float
    axis_y: float
    marks: tuple[PlacedMark, ...]
    spans: tuple[tuple[SpanEntry, float, float, float], ...]
    ticks: tuple[tuple[float, str], ...]
    shaded: tuple[tuple[float, float, str], ...]


def entries_of(result, facts: dict | None = None, fact_labels: dict[str, str] | None = None) -> list[Entry]:
    """Everything in the result (and the case's known dates) that has a date, in date order."""
    entries = [Entry("deadline", d.label, d.date, d.status) for d in result.deadlines if d.date]
    entries += [Entry("report", _report_label(r), r.date, "report") for r in result.reports if r.date]
    entries += [Entry("payment", p.label, p.date, getattr(p, "status", None) or "payment")
                for p in result.payments if p.date and not getattr(p, "instalments", None)]
    # a payment in instalments: a mark for each, on the day it falls due
    entries += [Entry("payment", f"{p.label} ({i.sequence})", i.date, i.status)
                for p in result.payments for i in getattr(p, "instalments", None) or ()]
    labels = fact_labels or {}
    entries += [Entry("event", _capitalized(labels.get(name, name)), value, "event")
                for name, value in (facts or {}).items() if _is_date(value)]
    return sorted(entries, key=lambda e: (e.date, _KIND_ORDER[e.kind]))


def spans_of(facts: dict | None, span_starts: dict[str, str], fact_labels: dict[str, str]) -> list[SpanEntry]:
    """Durations between two known dates of the case, as the vocabulary pairs them (`span_from`)."""
    facts = facts or {}
    spans = []
    for end_name, start_name in span_starts.items():
        start, end = facts.get(start_name), facts.get(end_name)
        if _is_date(start) and _is_date(end) and start <= end:
            spans.append(SpanEntry(f"{_capitalized(fact_labels.get(start_name, start_name))} – "
                                   f"{fact_labels.get(end_name, end_name)}", start, end))
    return sorted(spans, key=lambda s: (s.start, s.end))


def layout(entries: list[Entry], spans: list[SpanEntry], calendar=None, width: float = WIDTH) -> Layout | None:
    """Where every mark, label, span, tick and shaded day goes; None when nothing has a date."""
    dates = [e.date for e in entries] + [d for s in spans for d in (s.start, s.end)]
    if not dates:
        return None
    start, end = _axis_range(min(dates), max(dates))
    days = (end - start).days
    plot = width - 2 * MARGIN

    def x_of(day: dt.date) -> float:
        return MARGIN + plot * (day - start).days / days

    placed = _stack_labels([(entry, x_of(entry.date)) for entry in entries], width)
    lanes = max((mark.label.y1 for mark in placed), default=0.0)
    axis_y = lanes + AXIS_GAP
    span_rows = tuple((span, x_of(span.start), x_of(span.end), axis_y + 28 + i * (SPAN_HEIGHT + 16))
                      for i, span in enumerate(spans))
    height = axis_y + 28 + len(spans) * (SPAN_HEIGHT + 16) + 8
    ticks = tuple((x_of(day), _month_text(day)) for day in _month_starts(start, end))
    shaded = ()
    if calendar is not None and days <= SHADE_DAYS_UP_TO:
        shaded = tuple((x_of(day), x_of(day + dt.timedelta(days=1)), calendar.holiday_name(day) or "weekend")
                       for day in _days(start, end) if not calendar.is_working_day(day))
    return Layout(start, end, width, height, axis_y, tuple(placed), span_rows, ticks, shaded)


def _stack_labels(marks: list[tuple[Entry, float]], width: float) -> list[PlacedMark]:
    """Each label in the lowest lane (nearest the axis) where it overlaps no label placed before it."""
    lane_ends: list[float] = []  # per lane, the right edge of its last label
    placed = []
    for entry, x in marks:
        text_width = _text_width(_label_text(entry))
        x0 = x if x + text_width <= width - 2 else max(2.0, x - text_width)
        lane = next((i for i, right in enumerate(lane_ends) if right + LABEL_GAP <= x0), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(0.0)
        lane_ends[lane] = x0 + text_width
        placed.append((entry, x, x0, text_width, lane))
    top = len(lane_ends)
    # Lane 0 is drawn just above the axis; lanes count upwards from there.
    return [PlacedMark(entry, x, Box(x0, (top - 1 - lane) * LANE_HEIGHT + 4,
                                     x0 + text_width, (top - lane) * LANE_HEIGHT))
            for entry, x, x0, text_width, lane in placed]


def render_svg(result, facts: dict | None = None, fact_labels: dict[str, str] | None = None,
               span_starts: dict[str, str] | None = None, calendar=None, title: str | None = None) -> str:
    """The timeline of `result` as a standalone SVG document (no scripts, no external assets)."""
    labels = fact_labels or {}
    entries = entries_of(result, facts, labels)
    spans = spans_of(facts, span_starts or {}, labels)
    heading = title or f"Tijdlijn {result.product}"
    placed = layout(entries, spans, calendar)
    if placed is None:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="40" '
                f'viewBox="0 0 {WIDTH} 40" class="timeline"><title>{escape(heading)}</title>'
                f'<text x="{MARGIN}" y="24" font-size="{FONT_SIZE}">Nog geen datum bekend.</text></svg>\n')
    return _svg(placed, heading)


def timeline_of(engine, result, facts: dict | None, title: str | None = None) -> str:
    """The timeline of a result of `engine`, with its card's calendar and the vocabulary's labels and spans."""
    vocabulary = engine.catalogue.vocabulary
    editions = engine.catalogue.editions(result.product)
    product = next((p for p in editions if p.edition == result.edition), None)
    return render_svg(result, facts, vocabulary.fact_labels, vocabulary.span_starts,
                      product.calendar if product else None, title)


def _svg(layout_: Layout, heading: str) -> str:
    w, h, axis = layout_.width, layout_.height, layout_.axis_y
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="timeline" width="{w:.0f}" '
           f'height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
           f'font-size="{FONT_SIZE}">',
           f'<title>{escape(heading)}: {date_text(layout_.start)} tot {date_text(layout_.end)}</title>',
           _STYLE]
    for x0, x1, name in layout_.shaded:
        out.append(f'<rect class="non-working" x="{x0:.1f}" y="0" width="{x1 - x0:.1f}" height="{axis:.1f}">'
                   f'<title>{escape(name)}</title></rect>')
    out.append(f'<line class="axis" x1="{MARGIN}" y1="{axis:.1f}" x2="{w - MARGIN:.1f}" y2="{axis:.1f}"/>')
    for x, text in layout_.ticks:
        out.append(f'<line class="tick" x1="{x:.1f}" y1="{axis:.1f}" x2="{x:.1f}" y2="{axis + 5:.1f}"/>'
                   f'<text class="tick-label" x="{x:.1f}" y="{axis + 17:.1f}">{escape(text)}</text>')
    for span, x0, x1, y in layout_.spans:
        out.append(f'<g class="span"><title>{escape(span.label)}: {date_text(span.start)} tot '
                   f'{date_text(span.end)}</title><rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1):.1f}" '
                   f'height="{SPAN_HEIGHT}" rx="3"/><text x="{x0:.1f}" y="{y + SPAN_HEIGHT + 11:.1f}">'
                   f'{escape(span.label)}</text></g>')
    for mark in layout_.marks:
        out.append(_mark(mark, axis))
    out.append("</svg>\n")
    return "\n".join(out)


def _mark(mark: PlacedMark, axis: float) -> str:
    entry, box = mark.entry, mark.label
    status = STATUS_WORDS.get(entry.status, "")
    title = f"{entry.label}: {date_text(entry.date)}" + (f" ({status})" if status else "")
    return (f'<g class="mark {entry.kind} status-{entry.status}" data-date="{entry.date.isoformat()}">'
            f'<title>{escape(title)}</title>'
            f'<line class="leader" x1="{mark.x:.1f}" y1="{box.y1:.1f}" x2="{mark.x:.1f}" y2="{axis:.1f}"/>'
            f'<circle cx="{mark.x:.1f}" cy="{axis:.1f}" r="{3 if entry.kind == "event" else 5}"/>'
            f'<rect class="label-box" x="{box.x0:.1f}" y="{box.y0:.1f}" width="{box.x1 - box.x0:.1f}" '
            f'height="{box.y1 - box.y0:.1f}"/>'
            f'{_label(entry, box, mark.x)}</g>')


def _label(entry: Entry, box: Box, x: float) -> str:
    """The label's text inside its box, starting at the mark, or ending at it where it is drawn leftwards."""
    if box.x0 < x:
        return f'<text x="{x - 2:.1f}" y="{box.y1 - 4:.1f}" text-anchor="end">{escape(_label_text(entry))}</text>'
    return f'<text x="{box.x0 + 2:.1f}" y="{box.y1 - 4:.1f}">{escape(_label_text(entry))}</text>'


def table_rows(result, facts: dict | None = None, fact_labels: dict[str, str] | None = None) -> list[dict]:
    """The same marks as the picture, as rows for a table beside it (screen readers, print)."""
    return [{"date": date_text(e.date), "what": KIND_WORDS[e.kind], "label": e.label,
             "status": STATUS_WORDS.get(e.status, "")} for e in entries_of(result, facts, fact_labels)]


def _label_text(entry: Entry) -> str:
    day = f"{entry.date.day} {MONTHS_SHORT[entry.date.month - 1]}"
    return f"{day} · {entry.label}"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _text_width(text: str) -> float:
    return len(text) * CHAR_WIDTH + 4


def _report_label(report) -> str:
    return f"{report.label} {report.sequence}" if getattr(report, "sequence", None) else report.label


def _is_date(value) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _axis_range(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """A little room on both sides, at least two weeks in all."""
    pad = max(3, (last - first).days // 20)
    start, end = first - dt.timedelta(days=pad), last + dt.timedelta(days=pad)
    if (end - start).days < 14:
        end = start + dt.timedelta(days=14)
    return start, end


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    day = dt.date(start.year, start.month, 1)
    months = []
    while day <= end:
        if day >= start:
            months.append(day)
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    # Many years: a tick per quarter or per year keeps the labels apart.
    step = 1 if len(months) <= 18 else 3 if len(months) <= 54 else 12
    return [m for m in months if (m.month - 1) % step == 0]


def _month_text(day: dt.date) -> str:
    return f"{MONTHS_SHORT[day.month - 1]} {day.year}"


def _days(start: dt.date, end: dt.date):
    day = start
    while day < end:
        yield day
        day += dt.timedelta(days=1)


_KIND_ORDER = {"event": 0, "deadline": 1, "report": 2, "payment": 3}

_STYLE = """<style>
.axis, .tick { stroke: #444; stroke-width: 1; }
.tick-label { fill: #444; text-anchor: middle; }
.non-working { fill: #eee; }
.leader { stroke: #bbb; stroke-width: 1; }
.label-box { fill: #fff; fill-opacity: 0.85; stroke: none; }
.mark text { fill: #222; }
.span rect { fill: #c9d7e8; }
.span text { fill: #333; }
.mark circle { stroke: #fff; stroke-width: 1; fill: #666; }
.status-met circle { fill: #2e7d32; }
.status-open circle, .status-due circle { fill: #1565c0; }
.status-overdue circle { fill: #c62828; }
.status-late circle { fill: #ef6c00; }
.status-lapsed circle { fill: #9e9e9e; }
.status-paid circle { fill: #2e7d32; }
.report circle { fill: #6a1b9a; }
.payment.status-payment circle { fill: #00838f; }
.event circle { fill: #555; }
</style>"""
