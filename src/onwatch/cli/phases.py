"""Drawing a check's phases as a waterfall table in the terminal."""

from __future__ import annotations

from rich.table import Column, Table

from onwatch.probes.base import CheckResult

_BAR_WIDTH = 40


def phase_table(result: CheckResult) -> Table:
    """Each phase in ms with a waterfall bar drawn to scale against the total."""
    phases = [
        ("DNS", result.dns_ms),
        ("connect", result.connect_ms),
        ("TLS", result.tls_ms),
        ("first byte", result.first_byte_ms),
        ("transfer", result.transfer_ms),
    ]
    total = result.total_ms or sum(ms for _, ms in phases if ms is not None)
    table = Table("phase", Column("ms", justify="right"), "")
    offset = 0.0
    for label, ms in phases:
        if ms is None:
            table.add_row(label, "—", "")
            continue
        start = round(offset / total * _BAR_WIDTH) if total else 0
        width = max(1, round(ms / total * _BAR_WIDTH)) if total else 0
        table.add_row(label, f"{ms:,.1f}", " " * start + "█" * width)
        offset += ms
    shown = "—" if result.total_ms is None else f"{result.total_ms:,.1f}"
    table.add_row("total", shown, "█" * _BAR_WIDTH if total else "", style="bold")
    return table
