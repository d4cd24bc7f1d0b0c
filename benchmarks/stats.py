"""Percentiles and the one-line report format shared by every benchmark."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    name: str
    p50_ms: float
    p99_ms: float
    max_ms: float
    n: int

    def line(self) -> str:
        """The fixed ``bench`` line that ``make bench`` promises."""
        return (
            f"bench {self.name} p50_ms={self.p50_ms:.3f} p99_ms={self.p99_ms:.3f} "
            f"max_ms={self.max_ms:.3f} n={self.n}"
        )


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted data.

    Nearest rank never interpolates below an observed value, so a p99 is
    always a latency that some press really had: the conservative choice
    for a pass/fail budget.
    """
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summarize(name: str, seconds: Sequence[float]) -> Summary:
    ordered = sorted(seconds)
    return Summary(
        name=name,
        p50_ms=percentile(ordered, 50) * 1e3,
        p99_ms=percentile(ordered, 99) * 1e3,
        max_ms=ordered[-1] * 1e3,
        n=len(ordered),
    )
