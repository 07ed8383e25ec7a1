"""Fixtures of the evaluation tests."""
from pathlib import Path

import pytest

from layout_eval_helpers import shared_root


@pytest.fixture(scope='session')
def shared() -> Path:
    """The shared folder; skips the test when it is absent."""
    root = shared_root()
    if not (root / 'golden' / 'layout-evaluator').is_dir():
        pytest.skip(f'golden evaluator values not found under {root} (set '
                    'PIXDIVA_SHARED to the shared folder)')
    return root
