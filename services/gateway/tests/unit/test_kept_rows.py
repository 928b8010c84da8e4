"""Rows kept between projection batches: bounded, the least recently used leave first."""

from __future__ import annotations

from gateway.adapters.kept_rows import KeptRows


def test_the_least_recently_used_rows_leave_first() -> None:
    kept: KeptRows[int, str] = KeptRows(capacity=3)
    kept.keep({1: "a", 2: "b", 3: "c"})
    found, missing = kept.take([1, 4])
    assert found == {1: "a"}
    assert missing == [4]
    kept.keep({4: "d"})  # 2 is now the least recently used
    assert len(kept) == 3
    assert kept.take([1, 2, 3, 4]) == ({1: "a", 3: "c", 4: "d"}, [2])


def test_clear_forgets_everything() -> None:
    kept: KeptRows[int, str] = KeptRows(capacity=3)
    kept.keep({1: "a"})
    kept.clear()
    assert kept.take([1]) == ({}, [1])
