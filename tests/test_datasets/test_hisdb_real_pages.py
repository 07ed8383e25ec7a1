"""HisDBDataset on the real DIVA-HisDB pages of ../shared (read-only)."""
from pathlib import Path

import numpy as np
import pytest
from mmseg.registry import DATASETS
from PIL import Image

# Pixel counts per blue value, from ../shared/data/hisdb-samples/README.md.
CSG863_COUNTS = {1: 10793906, 2: 2595511, 4: 1306450, 6: 1759, 8: 1697021,
                 10: 6729, 12: 211843, 14: 157}


def link_page(root: Path, image: Path, gt: Path) -> None:
    for sub, src in (('data', image), ('gt', gt)):
        folder = root / 'train' / sub
        folder.mkdir(parents=True, exist_ok=True)
        (folder / src.name).symlink_to(src)


def build_hisdb(root, boundary_to_background):
    return DATASETS.build(dict(
        type='HisDBDataset', data_root=str(root),
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=[dict(type='LoadBlueChannelAnnotations',
                       boundary_to_background=boundary_to_background)]))


def reference_counts(gt_path: Path, label_values, boundary_to_background):
    """Independent decoding with Pillow and plain comparisons."""
    rgb = np.asarray(Image.open(gt_path).convert('RGB'))
    blue, red = rgb[..., 2], rgb[..., 0]
    boundary = red >= 128
    counts = []
    for index, value in enumerate(label_values):
        mask = blue == value
        if boundary_to_background:
            mask = (mask & ~boundary) | (boundary if index == 0 else False)
        counts.append(int(mask.sum()))
    return counts


@pytest.mark.parametrize('boundary_to_background', [False, True])
def test_csg863_page(tmp_path, hisdb_samples, boundary_to_background):
    folder = hisdb_samples / 'csg863'
    gt = folder / 'e-codices_csg-0863_004_max.png'
    link_page(tmp_path, folder / 'e-codices_csg-0863_004_max.jpg', gt)
    dataset = build_hisdb(tmp_path, boundary_to_background)
    assert dataset.metainfo['label_values'] == tuple(CSG863_COUNTS)
    assert dataset.metainfo['classes'][5] == 'comment+main text'
    sample = dataset[0]
    seg = sample['gt_seg_map']
    assert seg.shape == (4992, 3328)
    counts = np.bincount(seg.ravel(), minlength=8).tolist()
    if not boundary_to_background:
        assert counts == list(CSG863_COUNTS.values())
    else:
        assert counts == reference_counts(gt, list(CSG863_COUNTS), True)
        assert counts[0] > CSG863_COUNTS[1]  # boundary pixels moved to bg
    assert sum(counts) == 4992 * 3328


def test_cb55_page(tmp_path, hisdb_samples):
    folder = hisdb_samples / 'cb55'
    gt = folder / 'e-codices_fmb-cb-0055_0059v_max.png'
    link_page(tmp_path, folder / 'e-codices_fmb-cb-0055_0059v_max.jpg', gt)
    dataset = build_hisdb(tmp_path, boundary_to_background=True)
    blue = np.asarray(Image.open(gt).convert('RGB'))[..., 2]
    values = tuple(int(v) for v in np.unique(blue))
    assert dataset.metainfo['label_values'] == values
    assert values[0] == 1
    seg = dataset[0]['gt_seg_map']
    assert seg.shape == (6496, 4872)
    assert np.bincount(seg.ravel(), minlength=len(values)).tolist() == \
        reference_counts(gt, values, True)
