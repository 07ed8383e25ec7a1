"""CropsPerImageSampler + LoadPageCrop + SharedPageCache on synthetic pages.

Pages are small PNGs in the DIVA-HisDB encoding (blue = bit flags 1/2/4/8,
red = 128 on boundary pixels) whose image pixels encode their own position
(red = y, green = x, blue = page number), so every crop can be checked.
"""
import os
import threading
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

import mmseg_pixdiva  # noqa: F401
from mmseg_pixdiva.core.encoding import decode_gt

LABELS = (1, 2, 4, 8)
# (h, w) of the synthetic pages; the last is smaller than a 128 crop.
SIZES = [(160, 200), (150, 170), (190, 140), (140, 150), (170, 180),
         (90, 100)]


@pytest.fixture(autouse=True, scope='module')
def _scope():
    init_default_scope('mmseg')


def page_arrays(number, h, w):
    """Image (RGB) and GT (RGB) of synthetic page ``number``."""
    yy, xx = np.mgrid[:h, :w]
    img = np.stack([yy % 256, xx % 256, np.full_like(yy, number * 10)],
                   -1).astype(np.uint8)
    gt = np.zeros((h, w, 3), np.uint8)
    gt[..., 2] = np.asarray(LABELS, np.uint8)[(yy // 16 + xx // 16) % 4]
    gt[::7, ::5, 0] = 128  # boundary pixels
    return img, gt


def write_pages(root: Path, sizes=SIZES, split='train'):
    for d in ('data', 'gt'):
        (root / split / d).mkdir(parents=True, exist_ok=True)
    for number, (h, w) in enumerate(sizes):
        img, gt = page_arrays(number, h, w)
        assert cv2.imwrite(str(root / split / 'data' / f'p{number}.png'),
                           img[..., ::-1].copy())
        assert cv2.imwrite(str(root / split / 'gt' / f'p{number}.png'),
                           gt[..., ::-1].copy())
    return root


@pytest.fixture
def pages(tmp_path):
    return write_pages(tmp_path / 'root')


def build_dataset(root, crop=64, pad=True, split='train', extra=()):
    from mmseg.registry import DATASETS
    return DATASETS.build(dict(
        type='HisDBDataset', data_root=str(root), label_values=LABELS,
        data_prefix=dict(img_path=f'{split}/data', seg_map_path=f'{split}/gt'),
        pipeline=[dict(type='LoadPageCrop', crop_size=crop, pad=pad),
                  *extra]))


_names = iter(range(10**6))


def build_sampler(dataset, tmp_path=None, **kwargs):
    from mmseg.registry import DATA_SAMPLERS
    cfg = dict(type='CropsPerImageSampler', crops_per_image=3,
               imgs_in_memory=2, seed=0,
               cache_name=f'test{next(_names)}')
    if tmp_path is not None:
        cfg['cache_event_log'] = str(tmp_path / f'events{next(_names)}.txt')
    cfg.update(kwargs)
    return DATA_SAMPLERS.build(cfg, default_args=dict(dataset=dataset))


def described(sampler):
    return [(int(i), i.key, i.position) for i in sampler]


def test_epoch_length_and_visits(pages):
    sampler = build_sampler(build_dataset(pages), crops_per_image=4)
    assert len(sampler) == 4 * len(SIZES)
    for epoch in range(2):
        sampler.set_epoch(epoch)
        seq = described(sampler)
        assert len(seq) == len(sampler)
        assert Counter(p for p, _, _ in seq) == {p: 4 for p in range(6)}
        assert [pos for _, _, pos in seq] == list(range(len(seq)))


def test_ranks_use_disjoint_pages(pages):
    dataset = build_dataset(pages)
    seqs = [described(build_sampler(dataset, rank=r, world_size=2,
                                    cache_name='ranks'))
            for r in range(2)]
    assert len(seqs[0]) == len(seqs[1]) == 9
    sets = [{p for p, _, _ in s} for s in seqs]
    assert not sets[0] & sets[1] and sets[0] | sets[1] == set(range(6))


def test_determinism_shuffle_and_resume(pages):
    dataset = build_dataset(pages)
    a, b = build_sampler(dataset, seed=7), build_sampler(dataset, seed=7)
    assert described(a) == described(b)
    a.set_epoch(1)
    epoch1 = described(a)
    assert [p for p, _, _ in epoch1] != [p for p, _, _ in described(b)]
    # A new sampler (as after --resume) continues with epoch 1 ...
    resumed = build_sampler(dataset, seed=7)
    resumed.set_epoch(1)
    assert described(resumed) == epoch1
    # ... and can start inside it.
    resumed.skip(5)
    assert described(resumed) == epoch1[5:]
    assert described(resumed) == epoch1  # skip holds for one pass only


def test_crops_match_the_pages(pages):
    dataset = build_dataset(pages, crop=64)
    sampler = build_sampler(dataset, crops_per_image=5)
    for idx in sampler:
        out = dataset[idx]
        h, w = SIZES[int(idx)]
        img_rgb, gt_rgb = page_arrays(int(idx), h, w)
        y1, y2, x1, x2 = out['crop_bbox']
        assert out['page_shape'] == (h, w)
        assert out['img'].shape == (64, 64, 3) and out['img_shape'] == (64,
                                                                        64)
        assert 0 <= y1 and y2 <= h and 0 <= x1 and x2 <= w
        assert (y2 - y1, x2 - x1) == (64, 64)
        # mmcv decodes BGR: channel 2 is red = y, channel 1 green = x.
        np.testing.assert_array_equal(out['img'][..., ::-1],
                                      img_rgb[y1:y2, x1:x2])
        expected = decode_gt(gt_rgb[y1:y2, x1:x2], LABELS,
                             boundary_to_background=True,
                             background_value=1)
        np.testing.assert_array_equal(out['gt_seg_map'], expected)


def test_small_page_is_padded(tmp_path):
    root = write_pages(tmp_path / 'small', sizes=[(90, 100), (100, 150)])
    dataset = build_dataset(root, crop=128)
    sampler = build_sampler(dataset, crops_per_image=2)
    seen = set()
    for idx in sampler:
        out = dataset[idx]
        h, w = SIZES[5] if int(idx) == 0 else (100, 150)
        assert out['img'].shape == (128, 128, 3)
        gt = out['gt_seg_map']
        y1, y2, x1, x2 = out['crop_bbox']
        assert (y2 - y1, x2 - x1) == (min(h, 128), min(w, 128))
        assert (gt[y2 - y1:] == 255).all() and (gt[:, x2 - x1:] == 255).all()
        assert (gt[:y2 - y1, :x2 - x1] != 255).all()
        assert (out['img'][y2 - y1:] == 0).all()
        seen.add(int(idx))
    assert seen == {0, 1}


def test_bad_settings_fail_at_build(pages):
    from mmseg.registry import DATASETS
    dataset = build_dataset(pages)
    with pytest.raises(ValueError, match='crops_per_image must be at least'):
        build_sampler(dataset, crops_per_image=0)
    with pytest.raises(ValueError, match='imgs_in_memory must be at least'):
        build_sampler(dataset, imgs_in_memory=0)
    with pytest.raises(ValueError, match='larger than every page'):
        build_sampler(build_dataset(pages, crop=256, pad=False))
    stock = DATASETS.build(dict(
        type='HisDBDataset', data_root=str(pages), label_values=LABELS,
        data_prefix=dict(img_path='train/data', seg_map_path='train/gt'),
        pipeline=[dict(type='LoadImageFromFile')]))
    with pytest.raises(ValueError, match='needs a LoadPageCrop'):
        build_sampler(stock)
    # Pages smaller than the crop but not all of them: error names the file.
    dataset = build_dataset(pages, crop=128, pad=False)
    build_sampler(dataset, crops_per_image=1)
    from mmseg_pixdiva.datasets.samplers import CropIndex
    with pytest.raises(ValueError, match=r'p5\.png.*smaller than the crop'):
        dataset[CropIndex(5, 1, 0, 1, 0, 0, 1)]


def test_validation_crops_identical_across_runs(pages):
    dataset = build_dataset(pages)
    val = build_sampler(dataset, fixed_seed=3, shuffle=False)
    first = described(val)
    val.set_epoch(5)
    assert described(val) == first
    crops = [dataset[i]['crop_bbox'] for i in val]
    assert crops == [dataset[i]['crop_bbox'] for i in val]


def as_list(batch):
    return batch


def resident_profile(event_log):
    """Max number of pages reserved at once, and reserve count."""
    resident = peak = reserves = 0
    for line in Path(event_log).read_text().splitlines():
        event = line.split()[0]
        if event == 'reserve':
            resident += 1
            reserves += 1
        elif event == 'evict':
            resident -= 1
        peak = max(peak, resident)
    return peak, reserves


@pytest.mark.parametrize('workers', [0, 1, 2])
@pytest.mark.parametrize('imgs_in_memory,crops', [(1, 3), (2, 5)])
def test_page_cap_holds_for_any_worker_count(pages, tmp_path, workers,
                                             imgs_in_memory, crops):
    dataset = build_dataset(pages, crop=32)
    sampler = build_sampler(dataset, tmp_path, crops_per_image=crops,
                            imgs_in_memory=imgs_in_memory)
    folder = sampler.cache.folder
    files_peak = [0]
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            files_peak[0] = max(files_peak[0], len(os.listdir(folder)))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    loader = DataLoader(dataset, batch_size=4, sampler=sampler,
                        num_workers=workers, collate_fn=as_list,
                        persistent_workers=workers > 0)
    try:
        for epoch in range(2):
            sampler.set_epoch(epoch)
            seen = Counter()
            for batch in loader:
                for sample in batch:
                    number = int(Path(sample['img_path']).stem[1:])
                    seen[number] += 1
                    img = sample['img']
                    assert img[0, 0, 0] == number * 10  # BGR: blue = page
                    assert img[0, 0, 2] == sample['crop_bbox'][0] % 256
            assert seen == {p: crops for p in range(len(SIZES))}
    finally:
        stop.set()
        poller.join()
    peak, reserves = resident_profile(sampler.cache.event_log)
    assert 1 <= peak <= imgs_in_memory
    assert files_peak[0] <= imgs_in_memory
    assert reserves >= len(SIZES)
    if workers == 0:  # in order: at most one decode per page and epoch
        assert reserves <= 2 * len(SIZES)
    assert sampler.cache.resident_pages() <= imgs_in_memory


def test_train_and_val_share_one_cap(pages, tmp_path):
    dataset = build_dataset(pages)
    train = build_sampler(dataset, tmp_path, cache_name='shared',
                          imgs_in_memory=2)
    val_set = build_dataset(pages)
    val = build_sampler(val_set, cache_name='shared', imgs_in_memory=2,
                        fixed_seed=1)
    assert val.cache is train.cache
    it = iter(train)
    for _ in range(4):
        dataset[next(it)]
    for idx in val:
        val_set[idx]
    for idx in it:
        dataset[idx]
    assert resident_profile(train.cache.event_log)[0] <= 2
    with pytest.raises(ValueError, match='same imgs_in_memory'):
        build_sampler(dataset, cache_name='shared', imgs_in_memory=3)


def test_failed_decode_frees_the_slot(tmp_path):
    root = write_pages(tmp_path / 'bad', sizes=[(80, 80), (80, 80)])
    dataset = build_dataset(root, crop=32)
    sampler = build_sampler(dataset, tmp_path, imgs_in_memory=1)
    # Broken after the sampler's header check (which would refuse it).
    (root / 'train' / 'data' / 'p1.png').write_bytes(b'not an image')
    from mmseg_pixdiva.datasets.samplers import CropIndex
    with pytest.raises(Exception):
        dataset[CropIndex(1, 1, sampler.stream, 1, 0, 0, 1)]
    assert sampler.cache.resident_pages() == 0
    out = dataset[CropIndex(0, 1, sampler.stream, 1, 0, 0, 1)]
    assert out['img'].shape == (32, 32, 3)


def write_gt_of_size(root: Path, number: int, h: int, w: int) -> Path:
    """Replace page ``number``'s GT by one of ``h x w``."""
    path = root / 'train' / 'gt' / f'p{number}.png'
    assert cv2.imwrite(str(path), page_arrays(number, h, w)[1][..., ::-1]
                       .copy())
    return path


@pytest.mark.parametrize('pad', [True, False])
def test_image_gt_size_mismatch_fails_at_build(tmp_path, pad):
    from mmseg_pixdiva.datasets.page_headers import \
        PageSizeMismatchError
    from mmseg_pixdiva.utils.errors import InputError
    root = write_pages(tmp_path / 'mismatch',
                       sizes=[(80, 90), (256, 192), (70, 60)])
    gt_path = write_gt_of_size(root, 1, 200, 150)
    write_gt_of_size(root, 2, 60, 70)  # transposed: also refused
    dataset = build_dataset(root, crop=32, pad=pad)
    with pytest.raises(PageSizeMismatchError) as info:
        build_sampler(dataset)
    message = str(info.value)
    assert isinstance(info.value, InputError)
    assert message.startswith('2 page(s) whose image and GT differ in size')
    img_path = root / 'train' / 'data' / 'p1.png'
    assert (f'image {img_path} is 192x256 (WxH) but its GT {gt_path} is '
            '150x200') in message
    assert f"{root / 'train' / 'data' / 'p2.png'} is 60x70 (WxH)" in message
    assert 'p0.png' not in message


def test_unreadable_image_fails_at_build(tmp_path):
    root = write_pages(tmp_path / 'unreadable', sizes=[(80, 80), (80, 80)])
    bad = root / 'train' / 'data' / 'p1.png'
    bad.write_bytes(b'not an image')
    with pytest.raises(ValueError, match=f'{bad}: cannot read the image '
                       'size'):
        build_sampler(build_dataset(root, crop=32))


def test_size_mismatch_at_decode_names_both_files(tmp_path):
    from mmseg_pixdiva.datasets.samplers import CropIndex
    from mmseg_pixdiva.datasets.page_headers import \
        PageSizeMismatchError
    root = write_pages(tmp_path / 'late', sizes=[(80, 90), (80, 90)])
    dataset = build_dataset(root, crop=32)
    sampler = build_sampler(dataset, imgs_in_memory=1)
    # The GT changes after the sampler checked the headers.
    gt_path = write_gt_of_size(root, 1, 60, 50)
    img_path = root / 'train' / 'data' / 'p1.png'
    with pytest.raises(PageSizeMismatchError) as info:
        dataset[CropIndex(1, 1, sampler.stream, 1, 0, 0, 1)]
    assert str(info.value) == (
        f'image {img_path} is 90x80 (WxH) but its GT {gt_path} is 50x60; '
        'a page and its GT must have one size')
    assert sampler.cache.resident_pages() == 0
    out = dataset[CropIndex(0, 1, sampler.stream, 1, 0, 0, 1)]
    assert out['img'].shape == (32, 32, 3)


def test_page_folders_of_killed_runs_are_removed(tmp_path):
    import subprocess
    import sys

    from mmseg_pixdiva.datasets.page_cache import (
        SharedPageCache, remove_orphaned_page_folders)
    # A process that exited without cleaning up (as when killed).
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True).stdout.strip()
    orphan = tmp_path / f'pixdiva-pages-{dead}-abc'
    orphan.mkdir()
    (orphan / 'slot0-1').write_bytes(b'page')
    unrelated = tmp_path / 'pixdiva-pages-notapid'
    unrelated.mkdir()
    cache = SharedPageCache(1, directory=str(tmp_path))
    try:
        assert not orphan.exists() and unrelated.exists()
        # A live owner's folder (this process's cache) is kept.
        assert remove_orphaned_page_folders(str(tmp_path)) == []
        assert os.path.isdir(cache.folder)
    finally:
        cache.close()
