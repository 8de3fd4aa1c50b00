"""The demo feed keeps its place every SAVE_EVERY events, whatever the batch sizes."""

from __future__ import annotations

from itertools import accumulate

import pytest

from doorstep.sim.demo import SAVE_EVERY, Every


@pytest.mark.parametrize("batch", [1, 250, 333, 499, 4500])
def test_the_resume_point_is_saved_every_2000_events_sent(batch: int) -> None:
    saver = Every(SAVE_EVERY)
    counts = list(accumulate([batch] * (30_000 // batch)))
    saved = [done for done in counts if saver.due(done)]
    # Counts in batches seldom land on a multiple of 2000, yet a save comes at least that often.
    gaps = [b - a for a, b in zip([0, *saved], saved, strict=False)]
    assert saved and all(SAVE_EVERY <= gap < SAVE_EVERY + batch for gap in gaps)
    assert counts[-1] - saved[-1] < SAVE_EVERY


def test_uneven_batches_are_saved_too() -> None:
    saver = Every(2000)
    assert [d for d in [130, 1900, 2150, 2390, 4000, 4100, 6099, 6100] if saver.due(d)] == [
        2150, 6099]  # 2150, then the first count at least 2000 past it
