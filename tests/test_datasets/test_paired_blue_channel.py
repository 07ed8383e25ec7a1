"""PairedBlueChannelDataset / HisDBDataset / LoadBlueChannelAnnotations."""
import json
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmseg.registry import DATASETS

from mmseg_pixdiva.core.encoding import UnknownLabelValueError
from mmseg_pixdiva.datasets.gt_image import InvalidGTError

PIPELINE = [dict(type='LoadImageFromFile'),
            dict(type='LoadBlueChannelAnnotations')]


def write_rgb(path: Path, rgb: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), rgb[..., ::-1].copy())


def make_page(blue_values, seed=0, shape=(12, 10)):
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape + (3, ), np.uint8)
    gt[..., 2] = rng.choice(blue_values, size=shape)
    image = rng.integers(0, 255, shape + (3, ), dtype=np.uint8)
    return image, gt


def build(root, split='train', **kwargs):
    cfg = dict(type='PairedBlueChannelDataset', data_root=str(root),
               data_prefix=dict(img_path=f'{split}/data',
                                seg_map_path=f'{split}/gt'),
               pipeline=PIPELINE)
    cfg.update(kwargs)
    return DATASETS.build(cfg)


@pytest.fixture
def root(tmp_path):
    for split, stems in [('train', ['b', 'a']), ('val', ['c'])]:
        for i, stem in enumerate(stems):
            image, gt = make_page([0, 5, 9], seed=i + len(split))
            write_rgb(tmp_path / split / 'data' / f'{stem}.jpg', image)
            write_rgb(tmp_path / split / 'gt' / f'{stem}.png', gt)
    return tmp_path


def test_classes_discovered_from_training_gts_and_cached(root):
    dataset = build(root)
    assert dataset.metainfo['label_values'] == (0, 5, 9)
    assert dataset.metainfo['classes'] == ('blue=0', 'blue=5', 'blue=9')
    cache = json.loads((root / 'pixdiva_label_values.json').read_text())
    assert cache['label_values'] == [0, 5, 9]
    # val uses the training classes, from the cache
    val = build(root, split='val')
    assert val.metainfo['label_values'] == (0, 5, 9)


def test_cache_is_refreshed_when_training_gts_change(root):
    build(root)
    image, gt = make_page([0, 5, 9, 17], seed=9)
    write_rgb(root / 'train' / 'data' / 'z.jpg', image)
    write_rgb(root / 'train' / 'gt' / 'z.png', gt)
    assert build(root).metainfo['label_values'] == (0, 5, 9, 17)


def test_cache_of_another_shape_is_rescanned(root):
    # Valid JSON that is not the cache's object (an editor, another tool).
    for text in ('[]', '3', '"label_values"'):
        (root / 'pixdiva_label_values.json').write_text(text)
        with pytest.warns(UserWarning, match='unreadable class cache'):
            assert build(root).metainfo['label_values'] == (0, 5, 9)


def test_missing_training_image_folder_is_named(root):
    from mmseg_pixdiva.datasets.pairing import PairingError
    for image in (root / 'train' / 'data').iterdir():
        image.unlink()
    (root / 'train' / 'data').rmdir()
    with pytest.raises(PairingError) as info:
        build(root, split='val')
    message = str(info.value)
    assert f'image folder {root / "train" / "data"} does not exist' in message
    assert f'training GTs in {root / "train" / "gt"}' in message
    assert not (root / 'pixdiva_label_values.json').exists()


def test_label_values_outside_uint8_fail_at_build_time(root):
    with pytest.raises(ValueError,
                       match=r'label_values\[2\] = 300 is outside 0\.\.255'):
        build(root, label_values=[0, 5, 300])


def test_read_only_root_still_works_with_a_warning(root):
    # A directory where the cache file should be: neither readable nor
    # writable as a file (chmod would not stop root, who runs CI).
    (root / 'pixdiva_label_values.json').mkdir()
    with pytest.warns(UserWarning, match='could not cache'):
        assert build(root).metainfo['label_values'] == (0, 5, 9)


def test_samples_decode_blue_channel_to_class_indices(root):
    dataset = build(root, label_values=[9, 5, 0])
    assert [Path(dataset.get_data_info(i)['img_path']).name
            for i in range(len(dataset))] == ['a.jpg', 'b.jpg']
    sample = dataset[0]
    gt = cv2.imread(str(root / 'train' / 'gt' / 'a.png'))[..., 0]
    expected = np.select([gt == 9, gt == 5, gt == 0], [0, 1, 2])
    assert (sample['gt_seg_map'] == expected).all()


def test_unknown_gt_value_names_file_value_and_count(root):
    image, gt = make_page([0, 5], seed=3)
    gt[0, :4, 2] = 77
    write_rgb(root / 'train' / 'gt' / 'a.png', gt)
    dataset = build(root, label_values=[0, 5, 9])
    with pytest.raises(UnknownLabelValueError) as info:
        dataset[0]
    assert 'a.png' in str(info.value) and 'blue=77 (4 pixels)' in str(
        info.value)


def test_transparent_gt_is_refused(root):
    rgba = np.zeros((12, 10, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0, 3] = 0
    assert cv2.imwrite(str(root / 'train' / 'gt' / 'a.png'), rgba)
    with pytest.raises(InvalidGTError, match=r'a\.png.*alpha'):
        build(root, label_values=[0, 5, 9])[0]


def test_lossy_gt_is_refused_at_build_time(root):
    os.rename(root / 'train' / 'gt' / 'a.png', root / 'train' / 'gt' / 'a.jpg')
    with pytest.raises(ValueError, match=r'a\.jpg: GT is JPG, a lossy'):
        build(root, label_values=[0, 5, 9])


def test_names_and_count_must_agree(root):
    with pytest.raises(ValueError, match='2 class names for 3'):
        build(root, label_values=[0, 5, 9], class_names=['x', 'y'])


def test_hisdb_classes_names_palette_and_boundary(tmp_path):
    gt = np.zeros((4, 4, 3), np.uint8)
    gt[..., 2] = [[1, 1, 8, 8], [1, 10, 10, 8], [2, 2, 1, 1], [4, 12, 1, 1]]
    gt[1, :, 0] = 128  # a boundary row: 1, 10, 10, 8
    write_rgb(tmp_path / 'train' / 'gt' / 'p.png', gt)
    write_rgb(tmp_path / 'train' / 'data' / 'p.png', gt)
    dataset = DATASETS.build(dict(
        type='HisDBDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=PIPELINE))
    meta = dataset.metainfo
    assert meta['label_values'] == (1, 2, 4, 8, 10, 12)
    assert meta['classes'] == ('background', 'comment', 'decoration',
                               'main text', 'comment+main text',
                               'decoration+main text')
    assert meta['palette'][0] == [0, 0, 0] and len(meta['palette']) == 6
    seg = dataset[0]['gt_seg_map']
    assert seg.tolist() == [[0, 0, 3, 3], [0, 0, 0, 0], [1, 1, 0, 0],
                            [2, 5, 0, 0]]


# ---------------------------------------------------------------- several
# folders in one dataset (data_prefixes) and a page list (pages)
FOLDERS = [dict(img_path='train/data', seg_map_path='train/gt'),
           dict(img_path='val/data', seg_map_path='val/gt')]


def _stems(dataset):
    return [Path(dataset.get_data_info(i)['img_path']).stem
            for i in range(len(dataset))]


def test_data_prefixes_join_folders_in_order(root):
    dataset = build(root, data_prefix=None, data_prefixes=FOLDERS,
                    label_values=[0, 5, 9])
    assert _stems(dataset) == ['a', 'b', 'c']
    info = dataset.get_data_info(2)
    assert info['seg_map_path'] == str(root / 'val' / 'gt' / 'c.png')


def test_pages_keep_the_listed_stems_in_folder_order(root):
    dataset = build(root, data_prefix=None, data_prefixes=FOLDERS,
                    pages=['c', 'a'], label_values=[0, 5, 9])
    assert _stems(dataset) == ['a', 'c']
    one_folder = build(root, pages=['b'], label_values=[0, 5, 9])
    assert _stems(one_folder) == ['b']


def test_a_listed_page_that_no_folder_holds_is_named(root):
    with pytest.raises(ValueError, match=r'"zz".*train/data'):
        build(root, data_prefix=None, data_prefixes=FOLDERS,
              pages=['a', 'zz'], label_values=[0, 5, 9])


def test_a_stem_in_two_folders_is_named(root):
    image, gt = make_page([0, 5, 9])
    write_rgb(root / 'val' / 'data' / 'a.jpg', image)
    write_rgb(root / 'val' / 'gt' / 'a.png', gt)
    with pytest.raises(ValueError, match=r'"a" is in two folders'):
        build(root, data_prefix=None, data_prefixes=FOLDERS,
              label_values=[0, 5, 9])


@pytest.mark.parametrize('kwargs, match', [
    (dict(data_prefixes=FOLDERS), 'data_prefix or data_prefixes'),
    (dict(data_prefix=None, data_prefixes=FOLDERS, label_values=None),
     'needs label_values'),
    (dict(data_prefix=None, data_prefixes=[dict(seg_map_path='x')],
          label_values=[0, 5, 9]), 'img_path'),
    (dict(pages='a', label_values=[0, 5, 9]), 'list of page stems'),
    (dict(pages=['a', 'a'], label_values=[0, 5, 9]), 'more than once'),
])
def test_bad_folder_or_page_settings(root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(root, **kwargs)


def test_official_pages_split_of_the_config(hisdb_pages):
    """The hisdb_pages split: 16 training and 8 validation pages of CSG18
    and CSG863, disjoint, read in place from ../shared."""
    from mmengine.config import Config
    repo = Path(__file__).resolve().parents[2]
    cfg = Config.fromfile(str(repo / 'configs' / '_base_' / 'datasets' /
                              'hisdb_pages.py'))
    built = {}
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset_cfg = dict(cfg[key].dataset, pipeline=[],
                           data_root=str(hisdb_pages))
        built[key] = _stems(DATASETS.build(dataset_cfg))
    train, val = set(built['train_dataloader']), set(built['val_dataloader'])
    assert len(train) == 16 and len(val) == 8 and not train & val
    assert built['test_dataloader'] == built['val_dataloader']
    assert sum('csg-0018' in s for s in val) == 4
