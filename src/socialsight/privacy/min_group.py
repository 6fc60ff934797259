"""Minimum group size (k): no grouped figure is shown for fewer than k distinct people.

Every grouped output in socialsight goes through :func:`suppress_small_groups`, which keeps
the rows with at least k people and counts the rows it removed, so that a reader knows that
something was withheld and how much, without learning about the individuals behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir
import pyarrow.compute as pc

from socialsight.config import check_min_group


@dataclass(frozen=True)
class Grouped:
    """Rows that passed the minimum group size, and what was suppressed."""

    rows: list[dict[str, Any]]
    min_group_size: int
    suppressed_groups: int
    """Groups withheld because they had fewer than ``min_group_size`` people."""

    def as_json(self) -> dict[str, Any]:
        """The stable machine-readable shape of every ``--json`` listing."""
        return {
            "min_group_size": self.min_group_size,
            "suppressed_groups": self.suppressed_groups,
            "rows": self.rows,
        }


def suppress_small_groups(expr: ir.Table, k: int, people: str = "people") -> Grouped:
    """Execute a grouped expression once, keeping only groups with ``people >= k``.

    The result holds one row per group (aggregates, never identities), so it is split in
    Arrow rather than by running the aggregation a second time for the suppressed count.
    """
    check_min_group(k)
    table = expr.to_pyarrow()
    large = pc.greater_equal(table[people], k).fill_null(False)
    kept = table.filter(large)
    return Grouped(
        rows=kept.to_pylist(),
        min_group_size=k,
        suppressed_groups=table.num_rows - kept.num_rows,
    )
