"""The manager dashboard: figures read through the scoped selectors, drawn as inline SVG.

Charts are rendered on the server so the dashboard needs no script at all and prints as it
shows. Each SVG carries a <title> and <desc> for screen readers, and every chart is paired
with its numbers in a table (in a <details> element) so nothing is only a picture.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape

from django.db.models import Count, Q
from django.utils.safestring import SafeString, mark_safe

from . import selectors
from .models import OPEN_STATES, CaseState, RejectionReason, UnitKind, User

# Colours with at least 3:1 contrast against white, distinguishable in the common forms of
# colour blindness (Okabe-Ito).
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
INK = "#1b1b1b"
GRID = "#c9c9c9"
CUSTODY_BUCKETS = [(0, 12), (12, 24), (24, 48), (48, 72), (72, 96), (96, None)]


@dataclass
class Chart:
    """One chart: its SVG and the same numbers as rows for the table beside it."""

    slug: str
    title: str
    svg: SafeString
    headers: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    note: str = ""


def _svg_open(width: int, height: int, slug: str, title: str, desc: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{slug}-t {slug}-d" class="chart">'
        f'<title id="{slug}-t">{escape(title)}</title><desc id="{slug}-d">{escape(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 13, **attrs) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{INK}"{extra}>{escape(str(text))}</text>'
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    return value


def grouped_bars(
    *,
    slug: str,
    title: str,
    labels: list[str],
    series: list[tuple[str, list[float]]],
    empty: str = "No data in this period.",
) -> SafeString:
    """Horizontal bars, one group per label, one bar per series (e.g. 7 and 30 days)."""
    bar_h, gap = 18, 12
    left, right, top = 180, 44, 34
    width = 520
    group_h = bar_h * len(series) + gap
    height = top + max(1, len(labels)) * group_h + 10
    top_value = _nice_max(max([max(v, default=0) for _, v in series] + [0]))
    plot_w = width - left - right
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{name} {int(vals[i])}" for name, vals in series)
        for i, label in enumerate(labels)
    )
    parts = [_svg_open(width, height, slug, title, desc or "No data.")]
    for s, (name, _) in enumerate(series):  # legend
        x = left + s * 130
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[s]}"/>')
        parts.append(_text(x + 18, 17, name, size=12))
    if not labels:
        parts.append(_text(left + 8, top + 14, empty))
    for i, label in enumerate(labels):
        y0 = top + i * group_h
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(
            _text(left - 8, y0 + bar_h * len(series) / 2 + 4, short, anchor="end", size=14)
        )
        for s, (_, vals) in enumerate(series):
            value = vals[i]
            w = plot_w * value / top_value
            y = y0 + s * bar_h
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{PALETTE[s]}"/>'
            )
            parts.append(_text(left + w + 4, y + bar_h - 5, f"{value:g}", size=13))
    parts.append(f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 8}" stroke="{INK}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node is escaped above


def columns(
    *,
    slug: str,
    title: str,
    labels: list[str],
    values: list[float],
    y_label: str,
    marker_index: int | None = None,
    marker_label: str = "",
    cumulative: bool = False,
) -> SafeString:
    """Vertical columns (a histogram or, with ``cumulative``, a Pareto chart with its
    cumulative-percentage line on a right-hand axis)."""
    width, height = 520, 300
    left, right, top, bottom = 72, 48 if cumulative else 16, 20, 90
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(1, len(labels))
    slot = plot_w / n
    bar_w = slot * 0.7
    top_value = _nice_max(max(values, default=0))
    desc = ", ".join(f"{label}: {int(v)}" for label, v in zip(labels, values, strict=True))
    parts = [_svg_open(width, height, slug, title, desc or "No data.")]
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, y + 4, f"{top_value * frac:g}", anchor="end", size=11))
    parts.append(
        _text(14, top + plot_h / 2, y_label, anchor="middle", size=11,
              transform=f"rotate(-90 14 {top + plot_h / 2:.1f})")
    )  # fmt: skip
    if not labels:
        parts.append(_text(left + 10, top + plot_h / 2, "No data in this period."))
    total = sum(values) or 1
    running = 0.0
    points = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        h = plot_h * value / top_value
        colour = PALETTE[1] if marker_index is not None and i >= marker_index else PALETTE[0]
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{colour}"/>'
        )
        parts.append(_text(x + bar_w / 2, top + plot_h - h - 4, f"{int(value)}", "middle", 13))
        cx = left + i * slot + slot / 2
        ly = top + plot_h + 14
        parts.append(
            _text(cx, ly, label, anchor="end", size=12, transform=f"rotate(-35 {cx:.1f} {ly})")
        )
        running += value
        points.append((cx, top + plot_h * (1 - running / total)))
    if cumulative and points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>'
        )
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[1]}"/>')
        for frac in (0, 0.5, 0.8, 1):
            y = top + plot_h * (1 - frac)
            parts.append(_text(width - right + 6, y + 4, f"{int(frac * 100)}%", size=11))
    if marker_index is not None and labels:
        x = left + marker_index * slot
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="{INK}" '
            'stroke-dasharray="4 3"/>'
        )
        parts.append(_text(x + 4, top + 12, marker_label, size=11))
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text node is escaped above


# --- the figures ----------------------------------------------------------------------------


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def breaches_by_policy_and_unit(user: User, now: datetime) -> list[Chart]:
    clocks = selectors.breached_clocks_visible_to(user).filter(
        breached_at__gte=now - timedelta(days=30)
    )
    rows = list(
        clocks.values_list("policy__title", "case__sector__code", "case__station__code")
        .annotate(
            last7=Count("id", filter=Q(breached_at__gte=now - timedelta(days=7))),
            last30=Count("id"),
        )
        .order_by("policy__title", "case__sector__code", "case__station__code")
    )
    by_policy: dict[str, list[int]] = {}
    by_unit: dict[str, list[int]] = {}
    for policy, _sector, station, last7, last30 in rows:
        for bucket, key in ((by_policy, policy), (by_unit, station)):
            counts = bucket.setdefault(key, [0, 0])
            counts[0] += last7
            counts[1] += last30
    charts = []
    for slug, title, data in (
        ("breaches-policy", "Breaches by policy", by_policy),
        ("breaches-unit", "Breaches by station", by_unit),
    ):
        labels = sorted(data, key=lambda k: (-data[k][1], k))
        charts.append(
            Chart(
                slug=slug,
                title=title + ", last 7 and 30 days",
                svg=grouped_bars(
                    slug=slug,
                    title=title,
                    labels=labels,
                    series=[
                        ("Last 7 days", [data[k][0] for k in labels]),
                        ("Last 30 days", [data[k][1] for k in labels]),
                    ],
                    empty="No breaches in the last 30 days.",
                ),
                headers=["", "Last 7 days", "Last 30 days"],
                rows=[[k, data[k][0], data[k][1]] for k in labels],
            )
        )
    return charts


def in_custody(user: User):
    """Open cases still held by Border Patrol, longest first."""
    return (
        selectors.cases_visible_to(user)
        .filter(state__in=OPEN_STATES, custody_unit__kind=UnitKind.STATION)
        .order_by("subject__apprehended_at", "id")
    )


def custody_distribution(user: User, now: datetime) -> Chart:
    hours = [
        _hours(now - at)
        for at in in_custody(user).values_list("subject__apprehended_at", flat=True)
    ]
    labels, values = [], []
    for low, high in CUSTODY_BUCKETS:
        labels.append(f"{low}-{high} h" if high else f"{low} h +")
        values.append(sum(1 for h in hours if h >= low and (high is None or h < high)))
    marker = next(i for i, (low, _) in enumerate(CUSTODY_BUCKETS) if low >= 72)
    return Chart(
        slug="custody",
        title="Time in Border Patrol custody (open cases)",
        svg=columns(
            slug="custody",
            title="Time in Border Patrol custody",
            labels=labels,
            values=values,
            y_label="cases",
            marker_index=marker,
            marker_label="72-hour limit",
        ),
        headers=["Hours in custody", "Cases"],
        rows=[[a, b] for a, b in zip(labels, values, strict=True)],
        note=f"{len(hours)} subjects in custody now.",
    )


def longest_in_custody(user: User, now: datetime, limit: int = 15) -> tuple[Chart, list]:
    cases = list(in_custody(user)[:limit])
    labels = [c.case_number for c in cases]
    values = [round(_hours(now - c.subject.apprehended_at), 1) for c in cases]
    chart = Chart(
        slug="longest",
        title=f"The {limit} longest in custody",
        svg=grouped_bars(
            slug="longest",
            title=f"The {limit} longest in custody (hours)",
            labels=labels,
            series=[("Hours since apprehension", values)],
            empty="Nobody in custody.",
        ),
        headers=["Case", "Station", "State", "Hours"],
        rows=[
            [c.case_number, c.station.code, c.get_state_display(), v]
            for c, v in zip(cases, values, strict=True)
        ],
    )
    return chart, cases


def rejection_pareto(user: User, now: datetime) -> Chart:
    counter: Counter[str] = Counter()
    for payload in selectors_events(user, "case.rejected", now - timedelta(days=30)):
        counter.update(payload.get("reasons") or [])
    labels_by_code = dict(RejectionReason.choices)
    ordered = counter.most_common()
    labels = [labels_by_code.get(code, code) for code, _ in ordered]
    values = [n for _, n in ordered]
    total = sum(values) or 1
    running = 0
    rows = []
    for label, value in zip(labels, values, strict=True):
        running += value
        rows.append([label, value, f"{100 * running / total:.0f}%"])
    return Chart(
        slug="pareto",
        title="Rejection reasons, last 30 days (Pareto)",
        svg=columns(
            slug="pareto",
            title="Rejection reasons (Pareto)",
            labels=[lb if len(lb) <= 18 else lb[:17] + "…" for lb in labels],
            values=values,
            y_label="rejections",
            cumulative=True,
        ),
        headers=["Reason", "Rejections", "Cumulative"],
        rows=rows,
    )


def selectors_events(user: User, event_type: str, since: datetime):
    """Payloads of the given event type on cases the user may see."""
    from .models import EventLogEntry

    case_ids = selectors.cases_visible_to(user).values("pk")
    return EventLogEntry.objects.filter(
        event_type=event_type, case_id__in=case_ids, occurred_at__gte=since
    ).values_list("payload", flat=True)


def resubmission_rate(user: User) -> tuple[Chart, dict]:
    rows = list(
        selectors.cases_visible_to(user)
        .filter(submissions__gte=1)
        .values_list("station__code")
        .annotate(submitted=Count("id"), resubmitted=Count("id", filter=Q(submissions__gte=2)))
        .order_by("station__code")
    )
    submitted = sum(r[1] for r in rows)
    resubmitted = sum(r[2] for r in rows)
    rates = [(code, 100 * re / su if su else 0) for code, su, re in rows]
    summary = {
        "submitted": submitted,
        "resubmitted": resubmitted,
        "rate": 100 * resubmitted / submitted if submitted else 0,
    }
    chart = Chart(
        slug="resubmission",
        title="Resubmission rate by station",
        svg=grouped_bars(
            slug="resubmission",
            title="Share of submitted cases that had to be resubmitted (%)",
            labels=[c for c, _ in rates],
            series=[("% resubmitted", [round(r) for _, r in rates])],
            empty="No submissions yet.",
        ),
        headers=["Station", "Submitted", "Resubmitted", "Rate"],
        rows=[[c, su, re, f"{100 * re / su:.0f}%"] for c, su, re in rows],
    )
    return chart, summary


def data_quality_by_station(user: User, now: datetime) -> Chart:
    """Warnings acknowledged at submission (e.g. a missing family linkage), per station."""
    from .models import EventLogEntry

    case_ids = selectors.cases_visible_to(user).values("pk")
    counter: Counter[str] = Counter()
    for station, payload in EventLogEntry.objects.filter(
        event_type="case.submitted",
        case_id__in=case_ids,
        occurred_at__gte=now - timedelta(days=30),
    ).values_list("case__station__code", "payload"):
        counter[station] += len(payload.get("acknowledged_warnings") or [])
    ordered = [(k, v) for k, v in counter.most_common() if v]
    return Chart(
        slug="quality",
        title="Data-quality warnings by station, last 30 days",
        svg=grouped_bars(
            slug="quality",
            title="Data-quality warnings acknowledged at submission",
            labels=[k for k, _ in ordered],
            series=[("Warnings", [v for _, v in ordered])],
            empty="No warnings acknowledged in the last 30 days.",
        ),
        headers=["Station", "Warnings"],
        rows=[[k, v] for k, v in ordered],
    )


def dashboard(user: User, now: datetime) -> dict:
    longest, longest_cases = longest_in_custody(user, now)
    resubmission, resubmission_summary = resubmission_rate(user)
    open_cases = selectors.cases_visible_to(user).filter(state__in=OPEN_STATES)
    left = list(
        selectors.cases_visible_to(user)
        .filter(closed_at__gte=now - timedelta(days=7))
        .order_by("-closed_at", "-id")[:15]
    )
    for case in left:
        case.hours_in_custody = round(_hours(case.closed_at - case.subject.apprehended_at), 1)
    return {
        "left_custody": left,
        "charts": [
            *breaches_by_policy_and_unit(user, now),
            custody_distribution(user, now),
            longest,
            rejection_pareto(user, now),
            resubmission,
            data_quality_by_station(user, now),
        ],
        "longest_cases": longest_cases,
        "resubmission": resubmission_summary,
        "open_count": open_cases.count(),
        "submitted_count": open_cases.filter(state=CaseState.SUBMITTED).count(),
    }
