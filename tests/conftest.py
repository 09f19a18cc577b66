"""Shared pytest fixtures (keep generic; feature-specific fixtures live next to their tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.anvil import AnvilProcess, start_anvil


@pytest.fixture
def anvil() -> Iterator[AnvilProcess]:
    """A fresh anvil chain for one test (about 60 ms to start), stopped afterwards.

    Function scope on purpose: every test starts from the same genesis, so no test depends on
    the blocks, nonces or balances another one left behind, whatever the order or selection.
    """
    with start_anvil() as node:
        yield node
