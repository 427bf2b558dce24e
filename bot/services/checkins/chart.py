"""The /checkin history chart: mood and craving over time as a PNG (matplotlib, Agg backend).

Rendering takes tens of milliseconds of CPU, so callers run `render_chart` in a worker thread
(`asyncio.to_thread`), never on the event loop. A new Figure per call (no pyplot state) keeps
concurrent renders independent.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import matplotlib
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

# No display on a server; a Figure saved without pyplot renders through Agg.
matplotlib.use("Agg")


def render_chart(points: Sequence[tuple[datetime, int, int]], *, days: int) -> bytes:
    """`points` are (local time, mood, craving), oldest first."""
    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.add_subplot(1, 1, 1)
    # matplotlib converts datetimes itself; its stubs only admit arrays and numbers.
    times: Any = [p[0] for p in points]
    axes.plot(times, [p[1] for p in points], marker="o", color="#2a9d8f", label="Mood (1-5)")
    axes.plot(times, [p[2] for p in points], marker="s", color="#e76f51", label="Craving (0-10)")
    axes.set_ylim(-0.5, 10.5)
    axes.set_title(f"Your check-ins, last {days} days")
    axes.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left")
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
