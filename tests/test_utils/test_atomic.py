import os

import numpy as np
import pytest

from mmseg_pixdiva.utils import atomic_path, atomic_write_image


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / 'out.png'
    target.write_bytes(b'old')
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b'half')
            raise RuntimeError('interrupted')
    assert target.read_bytes() == b'old'
    assert sorted(os.listdir(tmp_path)) == ['out.png']


def test_written_file_has_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_image(tmp_path / 'a.png', np.zeros((2, 2, 3), np.uint8))
    finally:
        os.umask(umask)
    assert (tmp_path / 'a.png').stat().st_mode & 0o777 == 0o644


def test_cache_is_not_written_into_a_read_only_folder(tmp_path):
    from mmseg_pixdiva.utils import write_cache_text
    assert write_cache_text(tmp_path / 'c.json', '{}', 'the values')
    assert (tmp_path / 'c.json').read_text() == '{}'
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o555)  # a read-only copy of a dataset (even for root)
    try:
        assert not write_cache_text(shared / 'c.json', '{}', 'the values')
        assert list(shared.iterdir()) == []
    finally:
        shared.chmod(0o755)


def test_an_output_below_a_file_names_the_output_and_the_file(tmp_path):
    from mmseg_pixdiva.utils import atomic_write_text
    (tmp_path / 'afile').write_text('x')
    with pytest.raises(NotADirectoryError) as error:
        atomic_write_text(tmp_path / 'afile' / 'sub' / 'out.json', '{}')
    assert str(error.value) == (
        f'{tmp_path / "afile" / "sub" / "out.json"}: cannot write it there: '
        f'{tmp_path / "afile"} is a file, not a folder')
