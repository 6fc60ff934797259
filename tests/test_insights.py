"""The Insights object's memory stays bounded however many distinct filters are asked for."""

from __future__ import annotations

from pathlib import Path

from socialsight.insights import MEMO_ENTRIES, BoundedMemo, Insights


def test_memo_forgets_the_oldest_answers() -> None:
    memo = BoundedMemo(3)
    for n in range(10):
        memo[("window", n)] = n
    assert list(memo) == [("window", 7), ("window", 8), ("window", 9)]


def test_insights_memo_is_bounded(data_dir: Path) -> None:
    insights = Insights.open(data_dir)
    assert isinstance(insights._memo, BoundedMemo)
    for n in range(MEMO_ENTRIES + 20):
        insights._memo[("dependencies", n)] = n
    assert len(insights._memo) == MEMO_ENTRIES
