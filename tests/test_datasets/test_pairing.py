from pathlib import Path

import pytest

from mmseg_pixdiva.datasets.pairing import PairingError, pair_by_stem


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b'x')


def test_pairs_by_stem_not_by_position(tmp_path):
    touch(tmp_path / 'data', 'page23.jpg', 'a.png', 'zz.tif')
    touch(tmp_path / 'gt', 'zz.png', 'page23.png', 'a.png', '.DS_Store')
    pairs = pair_by_stem(str(tmp_path / 'data'), str(tmp_path / 'gt'))
    assert [(s, Path(i).name, Path(g).name) for s, i, g in pairs] == [
        ('a', 'a.png', 'a.png'), ('page23', 'page23.jpg', 'page23.png'),
        ('zz', 'zz.tif', 'zz.png')]


@pytest.mark.parametrize('images, gts, expected', [
    (['p1.jpg', 'p2.jpg'], ['p1.png'], 'p2.jpg has no GT'),
    (['p1.jpg'], ['p1.png', 'p3.png'], 'p3.png has no image'),
    (['p1.jpg', 'p1.png'], ['p1.png'], 'same stem "p1"'),
    (['p1.jpg'], ['p1.png', 'p1.bmp'], 'same stem "p1"'),
    (['p1.jpg'], ['p1.jpg'], 'p1.jpg: GT is JPG, a lossy format'),
    ([], ['p1.png'], 'has no images'),
    (['p1.jpg'], [], 'has no GT files'),
])
def test_errors_name_the_files(tmp_path, images, gts, expected):
    touch(tmp_path / 'data', *images)
    touch(tmp_path / 'gt', *gts)
    with pytest.raises(PairingError) as info:
        pair_by_stem(str(tmp_path / 'data'), str(tmp_path / 'gt'))
    assert expected in str(info.value)
    assert str(tmp_path) in str(info.value)


def test_missing_folder_is_named(tmp_path):
    touch(tmp_path / 'data', 'p.jpg')
    with pytest.raises(PairingError, match='GT folder .*nope does not exist'):
        pair_by_stem(str(tmp_path / 'data'), str(tmp_path / 'nope'))


def test_all_problems_reported_at_once(tmp_path):
    touch(tmp_path / 'data', 'a.jpg', 'b.jpg')
    touch(tmp_path / 'gt', 'c.png')
    with pytest.raises(PairingError) as info:
        pair_by_stem(str(tmp_path / 'data'), str(tmp_path / 'gt'))
    message = str(info.value)
    assert 'a.jpg has no GT' in message and 'b.jpg has no GT' in message
    assert 'c.png has no image' in message


def test_images_only_when_no_gt_dir(tmp_path):
    touch(tmp_path / 'data', 'a.jpg', 'notes.txt')
    assert [s for s, _, g in pair_by_stem(str(tmp_path / 'data'), None)
            if g is None] == ['a']


def test_links_that_lead_nowhere_are_named(tmp_path):
    """A dangling or looping link named like a page is an error, not a page
    silently left out; a link to a page and a linked folder are fine."""
    touch(tmp_path / 'data', 'a.jpg', 'b.jpg')
    touch(tmp_path / 'gt', 'a.png')
    (tmp_path / 'gt' / 'b.png').symlink_to(tmp_path / 'gone.png')
    (tmp_path / 'gt' / 'loop.png').symlink_to(tmp_path / 'gt' / 'loop.png')
    (tmp_path / 'data' / 'sub.png').symlink_to(tmp_path / 'gt')
    with pytest.raises(PairingError) as info:
        pair_by_stem(str(tmp_path / 'data'), str(tmp_path / 'gt'))
    message = str(info.value)
    assert f'{tmp_path}/gt/b.png: GT file is a broken or looping symbolic ' \
           'link' in message
    assert 'gt/loop.png: GT file is a broken' in message
    assert 'sub.png' not in message
    (tmp_path / 'gt' / 'b.png').unlink()
    (tmp_path / 'gt' / 'loop.png').unlink()
    (tmp_path / 'gt' / 'b.png').symlink_to(tmp_path / 'gt' / 'a.png')
    assert [s for s, _, _ in pair_by_stem(str(tmp_path / 'data'),
                                          str(tmp_path / 'gt'))] == ['a', 'b']
