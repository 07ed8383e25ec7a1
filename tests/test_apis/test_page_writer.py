"""PageWriter: pages written in order in the background, failures and
aborts leave no file."""
import numpy as np
import pytest
from PIL import Image

from mmseg_pixdiva.apis import page_writer
from mmseg_pixdiva.apis.page_writer import PageWriter

VALUES = [1, 2, 4, 8]


def classes(height, width, seed=0):
    return np.random.default_rng(seed).integers(0, 4, (height, width))


@pytest.mark.parametrize('background', [True, False])
def test_pages_are_written_band_by_band(tmp_path, background, monkeypatch):
    # Small chunks: several hand-overs per page.
    monkeypatch.setattr(page_writer, 'CHUNK_PIXELS', 50)
    writer = PageWriter(VALUES, background=background)
    pages = {f'p{i}': classes(20 + i, 7, seed=i) for i in range(3)}
    for name, page in pages.items():
        writer.begin(name, tmp_path / f'{name}.png', 7, len(page))
        for top in range(0, len(page), 6):
            writer.rows(page[top:top + 6])
        writer.end()
    done = writer.close()
    assert [(w.key, w.error) for w in done] == [(n, None) for n in pages]
    for name, page in pages.items():
        blue = np.asarray(Image.open(tmp_path / f'{name}.png'))[..., 2]
        assert np.array_equal(blue, np.asarray(VALUES, np.uint8)[page])
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ['p0.png', 'p1.png', 'p2.png']


def test_an_aborted_page_leaves_nothing_and_is_not_reported(tmp_path):
    writer = PageWriter(VALUES)
    writer.begin('a', tmp_path / 'a.png', 7, 10)
    writer.rows(classes(4, 7))
    writer.abort()
    writer.begin('b', tmp_path / 'b.png', 7, 3)
    writer.rows(classes(3, 7))
    writer.end()
    assert [w.key for w in writer.close()] == ['b']
    assert [p.name for p in tmp_path.iterdir()] == ['b.png']


def test_a_failing_page_is_reported_with_its_file(tmp_path):
    writer = PageWriter(VALUES)
    writer.begin('a', tmp_path / 'a.png', 7, 3)
    writer.rows(classes(5, 7))  # more rows than the page has
    writer.end()
    writer.begin('b', tmp_path / 'b.png', 7, 3)
    writer.rows(classes(3, 7))
    writer.end()
    done = writer.close()
    assert done[0].key == 'a' and 'a.png: cannot write it' in done[0].error
    assert done[1].error is None
    assert [p.name for p in tmp_path.iterdir()] == ['b.png']


def test_close_waits_for_queued_pages_and_aborts_an_open_one(tmp_path):
    writer = PageWriter(VALUES)
    for name in ('a', 'b'):
        writer.begin(name, tmp_path / f'{name}.png', 7, 3)
        writer.rows(classes(3, 7))
        writer.end()
    writer.begin('c', tmp_path / 'c.png', 7, 3)
    writer.rows(classes(2, 7))
    assert [w.key for w in writer.close()] == ['a', 'b']
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.png', 'b.png']


def test_after_write_runs_once_the_page_is_in_place(tmp_path):
    seen = []
    writer = PageWriter(VALUES, after_write=lambda key, path: seen.append(
        (key, path.is_file())))
    writer.begin('a', tmp_path / 'a.png', 7, 3)
    writer.rows(classes(3, 7))
    writer.end()
    writer.close()
    assert seen == [('a', True)]
