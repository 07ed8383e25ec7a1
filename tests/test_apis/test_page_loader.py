"""load_pages: decoded in order, ahead in workers, errors in place."""
import cv2
import numpy as np
import pytest
from mmengine.config import Config

import mmseg_pixdiva  # noqa: F401
from mmseg_pixdiva.apis.page_loader import load_pages, split_test_pipeline


@pytest.fixture
def pages(tmp_path):
    rng = np.random.default_rng(0)
    paths = []
    for index in range(5):
        path = tmp_path / f'p{index}.png'
        cv2.imwrite(str(path), rng.integers(0, 256, (10 + index, 8, 3),
                                            dtype=np.uint8))
        paths.append(path)
    paths[2].write_bytes(b'not a png')
    return paths


def test_split_drops_gt_loading_and_packs_last():
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    cfg = Config(dict(test_pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadBlueChannelAnnotations'),
        dict(type='PackSegInputs')]))
    load, pack = split_test_pipeline(cfg)
    assert [type(t).__name__ for t in load.transforms] == ['LoadImageFromFile']
    assert [type(t).__name__ for t in pack.transforms] == ['PackSegInputs']


@pytest.mark.parametrize('reader', ['LoadImageFromFile', 'LoadScanFromFile'])
@pytest.mark.parametrize('workers', [0, 2])
def test_pages_come_in_order_with_errors_in_place(pages, workers, reader):
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    load, _ = split_test_pipeline(Config(dict(test_pipeline=[
        dict(type=reader), dict(type='PackSegInputs')])))
    loaded = list(load_pages(pages, load, workers=workers))
    assert [item.index for item in loaded] == list(range(5))
    for item, path in zip(loaded, pages):
        if item.index == 2:
            assert item.results is None
            assert item.error.startswith(f'{path}: cannot ')
            if reader == 'LoadScanFromFile':  # the project's message
                assert item.error.count(str(path)) == 1  # named once
        else:
            assert item.error is None
            assert np.array_equal(item.results['img'], cv2.imread(str(path)))


def test_a_worker_decodes_the_page_into_shared_memory(pages, monkeypatch):
    """In a DataLoader worker, LoadScanFromFile decodes into a shared
    tensor, which then reaches the main process without a copy."""
    import torch.utils.data
    from mmengine.registry import init_default_scope

    from mmseg_pixdiva.apis.page_loader import _PageDataset
    init_default_scope('mmseg')
    monkeypatch.setattr(torch.utils.data, 'get_worker_info', lambda: 'a')
    for reader, shared in (('LoadScanFromFile', True),
                           ('LoadImageFromFile', False)):
        load, _ = split_test_pipeline(Config(dict(test_pipeline=[
            dict(type=reader), dict(type='PackSegInputs')])))
        item = _PageDataset(pages, load)[1]
        image = item.results['img']
        assert image.is_shared() is shared
        assert np.array_equal(image.numpy(), cv2.imread(str(pages[1])))
        assert set(item.results) == {'img_path', 'img', 'img_shape',
                                     'ori_shape'}
