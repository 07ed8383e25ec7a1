"""The output guard: no tool replaces an input or a file it did not write."""
import os

import pytest

from mmseg_pixdiva.utils.errors import InputError
from mmseg_pixdiva.utils.output_guard import (OutputIsInputError,
                                              refuse_foreign_files,
                                              refuse_input_folders,
                                              refuse_inputs, same_file)


def test_same_file_sees_links_and_missing_paths(tmp_path):
    target = tmp_path / 'gt.png'
    target.write_bytes(b'x')
    os.symlink(target, tmp_path / 'link.png')
    os.link(target, tmp_path / 'hard.png')
    assert same_file(tmp_path / 'link.png', target)
    assert same_file(tmp_path / 'hard.png', target)
    assert same_file(tmp_path / 'sub' / '..' / 'gt.png', target)
    assert not same_file(tmp_path / 'other.png', target)
    assert same_file(tmp_path / 'new.png', tmp_path / 'new.png')


def test_refuse_inputs_names_both_paths(tmp_path):
    gt = tmp_path / 'gt.png'
    gt.write_bytes(b'x')
    refuse_inputs([tmp_path / 'out.json'], [('GT', gt), ('scan', None)])
    with pytest.raises(OutputIsInputError) as error:
        refuse_inputs([tmp_path / 'out.json', tmp_path / 'x' / '..' /
                       'gt.png'], [('scan', None), ('GT', gt)])
    assert isinstance(error.value, InputError)
    assert str(error.value).endswith(f'it is the GT {gt}; choose another '
                                     'output')


def test_refuse_input_folders(tmp_path):
    (tmp_path / 'in').mkdir()
    refuse_input_folders(tmp_path / 'out', [('input', tmp_path / 'in')])
    with pytest.raises(OutputIsInputError, match='it is the GT folder'):
        refuse_input_folders(tmp_path / 'in' / '.',
                             [('scan', None), ('GT', tmp_path / 'in')])
    # Below an input folder: refused only when asked (dataset folders).
    below = tmp_path / 'in' / 'preds'
    refuse_input_folders(below, [('GT', tmp_path / 'in')])
    for inside in (below, tmp_path / 'out' / '..' / 'in' / 'a' / 'b'):
        with pytest.raises(OutputIsInputError,
                           match=f'lies inside the GT folder {tmp_path}/in;'):
            refuse_input_folders(inside, [('GT', tmp_path / 'in')],
                                 inside=True)
    # Through a link to the input folder; a sibling named alike is fine.
    os.symlink(tmp_path / 'in', tmp_path / 'link')
    with pytest.raises(OutputIsInputError, match='lies inside'):
        refuse_input_folders(tmp_path / 'link' / 'preds',
                             [('GT', tmp_path / 'in')], inside=True)
    refuse_input_folders(tmp_path / 'in_preds', [('GT', tmp_path / 'in')],
                         inside=True)


def test_refuse_foreign_files_replaces_only_its_own(tmp_path):
    own, foreign = tmp_path / 'own.png', tmp_path / 'mine.png'
    own.write_bytes(b'own')
    foreign.write_bytes(b'user')
    (tmp_path / 'folder.png').mkdir()

    def is_own(path):
        return path.read_bytes() == b'own'

    refuse_foreign_files([own, tmp_path / 'new.png'], is_own, 'tool')
    for path in (foreign, tmp_path / 'folder.png'):
        with pytest.raises(OutputIsInputError,
                           match='exists and was not written by tool'):
            refuse_foreign_files([own, path], is_own, 'tool')
