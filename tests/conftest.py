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


@pytest.fixture(scope='session')
def hisdb_pages() -> Path:
    """The whole official DIVA-HisDB pages; skipped when absent."""
    folder = shared_dir() / 'data' / 'hisdb-pages'
    if not (folder / 'CSG863' / 'val' / 'gt').is_dir():
        pytest.skip(f'official DIVA-HisDB pages not found at {folder} '
                    '(set PIXDIVA_SHARED to the shared folder)')
    return folder


@pytest.fixture(scope='session')
def page_schemas() -> Path:
    """The PAGE XML schemas (2013-07-15, 2019-07-15); skipped when absent."""
    folder = shared_dir() / 'data' / 'page-xml-schema'
    if not (folder / 'pagecontent-2019-07-15.xsd').is_file():
        pytest.skip(f'PAGE XML schemas not found at {folder} '
                    '(set PIXDIVA_SHARED to the shared folder)')
    return folder


@pytest.fixture(autouse=True)
def _private_user_cache(tmp_path_factory, monkeypatch):
    """Caches of read-only data roots (../shared) go to the user's cache
    folder: a fresh one per test, never the machine's own ~/.cache
    (subprocesses inherit it)."""
    monkeypatch.setenv('XDG_CACHE_HOME',
                       str(tmp_path_factory.mktemp('user-cache')))


@pytest.fixture(autouse=True, scope='session')
def _mmseg_default_scope():
    """Build from mmseg's registries as the runner does (default_scope)."""
    import mmseg_pixdiva  # noqa: F401  (installs the compat layer first)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')


@pytest.fixture
def fresh_python():
    """Run Python code in a new interpreter (nothing imported yet, as in a
    user's first command); return its stripped stdout, failing with its
    stderr if it exits non-zero."""
    import subprocess
    import sys

    def run(code: str, timeout: float = 300) -> str:
        result = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT,
                                capture_output=True, text=True,
                                timeout=timeout)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()
    return run
