"""Fixtures of the visualisation tests: the shared data folder."""
import os
from pathlib import Path

import pytest


def shared_dir() -> Path:
    """``shared/`` beside the repository root (or $PIXDIVA_SHARED)."""
    override = os.environ.get('PIXDIVA_SHARED')
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / '..' / 'shared'


@pytest.fixture(scope='session')
def toy_cases():
    """The evaluator's toy cases with their error-visualisation colours."""
    import json
    path = shared_dir() / 'golden' / 'layout-evaluator' / 'toy_cases.json'
    if not path.is_file():
        pytest.skip(f'shared golden data absent ({path}); set '
                    'PIXDIVA_SHARED to the shared folder')
    return json.loads(path.read_text())
