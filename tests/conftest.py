"""Fixtures shared by the whole suite."""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The ``shared`` folder beside the repository (override: PIXDIVA_SHARED)."""
    return Path(os.environ.get('PIXDIVA_SHARED', REPO_ROOT.parent / 'shared'))


@pytest.fixture(scope='session')
def hisdb_samples() -> Path:
    """Real DIVA-HisDB pages; the test is skipped when they are absent."""
    folder = shared_dir() / 'data' / 'hisdb-samples'
    if not folder.is_dir():
        pytest.skip(f'real DIVA-HisDB samples not found at {folder} '
                    '(set PIXDIVA_SHARED to the shared folder)')
    return folder


@pytest.fixture(autouse=True, scope='session')
def _mmseg_default_scope():
    """Build from mmseg's registries as the runner does (default_scope)."""
    import mmseg_pixdiva  # noqa: F401  (installs the compat layer first)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
