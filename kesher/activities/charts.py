"""A stacked horizontal bar chart as inline SVG, drawn on the server (no script, no CDN): the
task report's open / overdue / done per row (REQ TK-7). In a right-to-left page the bars grow
from the right, as the table beside them reads."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

__all__ = ["SERIES", "stacked_bars"]

# key, colour (Bootstrap's palette, readable on white)
SERIES = (("done", "#198754"), ("open_not_overdue", "#0d6efd"), ("overdue", "#dc3545"))
ROW = 26
BAR = 18
LABEL = 150
WIDTH = 640


def stacked_bars(rows: list[dict], labels: dict[str, str], rtl: bool) -> SafeString:
    """``rows`` of {"label", "done", "open", "overdue"}; ``labels`` names the series."""
    if not rows:
        return mark_safe("")
    largest = max((r["done"] + r["open"]) for r in rows) or 1
    plot = WIDTH - LABEL - 40
    height = ROW * len(rows) + 30
    parts = []
    for index, row in enumerate(rows):
        y = index * ROW + 4
        values = {
            "done": row["done"],
            "open_not_overdue": row["open"] - row["overdue"],
            "overdue": row["overdue"],
        }
        offset = 0.0
        label_x = WIDTH - 4 if rtl else 4
        anchor = "end" if rtl else "start"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" font-size="12">{}</text>',
                label_x,
                y + BAR - 5,
                anchor,
                str(row["label"])[:24],
            )
        )
        for key, colour in SERIES:
            width = values[key] * plot / largest
            if width <= 0:
                continue
            x = WIDTH - LABEL - offset - width if rtl else LABEL + offset
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {}</title></rect>",
                    f"{x:.1f}",
                    y,
                    f"{width:.1f}",
                    BAR,
                    colour,
                    labels[key],
                    values[key],
                )
            )
            offset += width
        total_x = WIDTH - LABEL - offset - 4 if rtl else LABEL + offset + 4
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="{}" font-size="11" fill="#6c757d">{}</text>',
                f"{total_x:.1f}",
                y + BAR - 5,
                anchor if not rtl else "end",
                row["done"] + row["open"],
            )
        )
    legend_y = ROW * len(rows) + 20
    legend = []
    for index, (key, colour) in enumerate(SERIES):
        x = WIDTH - 20 - index * 150 if rtl else 10 + index * 150
        text_x = x - 16 if rtl else x + 16
        legend.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" fill="{}"></rect>'
                '<text x="{}" y="{}" text-anchor="{}" font-size="12">{}</text>',
                x,
                legend_y - 10,
                colour,
                text_x,
                legend_y,
                anchor,
                labels[key],
            )
        )
    body = format_html_join("", "{}", ((p,) for p in parts + legend))
    return format_html(
        # Coordinates are laid out for the page's direction here; the SVG itself stays LTR so
        # that text-anchor means the same in both languages.
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-label="{}" class="task-report-chart" style="direction: ltr">{}</svg>',
        WIDTH,
        height,
        labels["title"],
        body,
    )
