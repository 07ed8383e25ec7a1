"""mmseg_pixdiva.fileio.inputs: input listing, JSON files, output mark."""
import pytest

from mmseg_pixdiva.fileio.inputs import (ConverterInputError,
                                         collect_files, read_json_object)


def test_collect_files_expands_folders_in_order(tmp_path):
    for name in ('b.xml', 'a.xml', 'c.txt', 'D.XML'):
        (tmp_path / name).write_text('x')
    other = tmp_path / 'sub'
    other.mkdir()
    (other / 'e.xml').write_text('x')
    files = collect_files([tmp_path, other / 'e.xml'], ('.xml', ), 'PAGE')
    assert [p.name for p in files] == ['D.XML', 'a.xml', 'b.xml', 'e.xml']


def test_same_stem_twice_is_refused(tmp_path):
    (tmp_path / 'x').mkdir()
    (tmp_path / 'p.xml').write_text('x')
    (tmp_path / 'x' / 'p.xml').write_text('x')
    with pytest.raises(ConverterInputError, match='have the same name'):
        collect_files([tmp_path / 'p.xml', tmp_path / 'x'], ('.xml', ),
                      'PAGE')
    # The same file named twice is fine.
    assert len(collect_files([tmp_path / 'p.xml', tmp_path / 'p.xml'],
                             ('.xml', ), 'PAGE')) == 2


def test_read_json_object(tmp_path):
    path = tmp_path / 'm.json'
    path.write_text('{"a": 1}')
    assert read_json_object(path, ('a', 'b')) == {'a': 1}
    path.write_text('[1]')
    with pytest.raises(ConverterInputError, match='expected a JSON object'):
        read_json_object(path, ('a', ))
    with pytest.raises(ConverterInputError, match='cannot read file'):
        read_json_object(tmp_path / 'none.json', ('a', ))
