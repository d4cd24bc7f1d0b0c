"""A real box for the setup UI's tests: ``tonic run --simulate`` in its own process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tui.harness import Box


@pytest.fixture
def box(tmp_path) -> Iterator[Box]:
    b = Box(tmp_path)
    b.start()
    yield b
    b.close()


@pytest.fixture
def stopped_box(tmp_path) -> Iterator[Box]:
    """A box not started yet: the test starts it."""
    b = Box(tmp_path)
    yield b
    b.close()
