"""Pure crop-schedule arithmetic: epoch length, ranks, determinism, padding."""
from collections import Counter

import numpy as np
import pytest

from mmseg_pixdiva.datasets.crop_schedule import (
    check_crop_fits, check_crop_settings, crop_position, crop_window,
    crops_per_page, epoch_schedule, pad_to, rank_pages, remaining_uses,
    samples_per_rank)


def test_epoch_visits_every_page_crops_per_image_times():
    sched = epoch_schedule(7, crops_per_image=5, imgs_in_memory=3, seed=1,
                           epoch=0)
    assert len(sched.pages) == 35 == samples_per_rank(7, 5)
    assert Counter(sched.pages.tolist()) == {p: 5 for p in range(7)}


def test_groups_hold_at_most_imgs_in_memory_pages():
    sched = epoch_schedule(10, crops_per_image=4, imgs_in_memory=3, seed=2,
                           epoch=1)
    starts = np.unique(sched.group_starts)
    np.testing.assert_array_equal(starts, [0, 12, 24, 36])
    for start in starts:
        group = sched.pages[sched.group_starts == start]
        assert len(set(group.tolist())) <= 3
        # The group's pages appear nowhere else.
        assert not set(group.tolist()) & set(
            sched.pages[sched.group_starts != start].tolist())


def test_ranks_split_pages_without_sharing_and_equal_length():
    for num_pages, world in ((8, 2), (7, 2), (9, 4)):
        per_rank = [epoch_schedule(num_pages, 3, 2, seed=5, epoch=4,
                                   rank=r, world_size=world)
                    for r in range(world)]
        page_sets = [set(s.pages.tolist()) for s in per_rank]
        assert set().union(*page_sets) == set(range(num_pages))
        assert sum(len(s) for s in page_sets) == num_pages
        lengths = {len(s.pages) for s in per_rank}
        assert lengths == {samples_per_rank(num_pages, 3, world)}
    # Divisible case: every page exactly crops_per_image times overall.
    total = Counter()
    for r in range(2):
        total.update(epoch_schedule(8, 3, 2, 5, 4, r, 2).pages.tolist())
    assert total == {p: 3 for p in range(8)}
    with pytest.raises(ValueError, match='ranks'):
        rank_pages(1, 0, 0, rank=0, world_size=2)


def test_uneven_rank_spreads_extra_crops_over_its_pages():
    np.testing.assert_array_equal(crops_per_page(3, 8), [3, 3, 2])


def test_determinism_and_epoch_shuffle():
    a = epoch_schedule(6, 4, 2, seed=3, epoch=0)
    b = epoch_schedule(6, 4, 2, seed=3, epoch=0)
    c = epoch_schedule(6, 4, 2, seed=3, epoch=1)
    d = epoch_schedule(6, 4, 2, seed=4, epoch=0)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a.pages, c.pages)
    assert not np.array_equal(a.keys, d.keys)


def test_no_shuffle_keeps_page_order_and_alternates():
    sched = epoch_schedule(4, 2, 2, seed=0, epoch=0, shuffle=False)
    assert sched.pages.tolist() == [0, 1, 0, 1, 2, 3, 2, 3]


def test_remaining_uses_after_skip():
    pages = np.array([0, 1, 0, 2, 2, 1])
    assert remaining_uses(pages, 0) == {0: 2, 1: 2, 2: 2}
    assert remaining_uses(pages, 3) == {1: 1, 2: 2}


def test_crop_positions_are_uniform_and_inside():
    ys, xs = [], []
    for key in range(4000):
        y, x = crop_position(key, (100, 60), (20, 20))
        assert 0 <= y <= 80 and 0 <= x <= 40
        ys.append(y)
        xs.append(x)
    assert min(ys) == 0 and max(ys) == 80 and min(xs) == 0 and max(xs) == 40
    # Mean of a uniform over 0..80 is 40 (std of the mean ~0.37).
    assert abs(np.mean(ys) - 40) < 2 and abs(np.mean(xs) - 20) < 1.5
    assert crop_position(7, (100, 60), (20, 20)) == \
        crop_position(7, (100, 60), (20, 20))


def test_small_page_window_and_padding():
    assert crop_window(3, (50, 200), (64, 64))[:2] == (0, 50)
    gt = np.ones((50, 40), np.uint8)
    padded = pad_to(gt, (64, 64), 255)
    assert padded.shape == (64, 64)
    assert (padded[:50, :40] == 1).all() and (padded[50:] == 255).all() \
        and (padded[:, 40:] == 255).all()
    img = np.full((50, 70, 3), 9, np.uint8)
    assert pad_to(img, (64, 64), 0).shape == (64, 70, 3)


def test_bad_settings():
    for bad in (dict(crops_per_image=0, imgs_in_memory=1),
                dict(crops_per_image=1, imgs_in_memory=0)):
        with pytest.raises(ValueError, match='at least 1'):
            check_crop_settings(**bad)
    with pytest.raises(TypeError):
        check_crop_settings(2.5, 1)
    with pytest.raises(ValueError, match='larger than every page'):
        check_crop_fits([(50, 50), (60, 40)], (64, 64), pad=False)
    check_crop_fits([(50, 50), (80, 70)], (64, 64), pad=False)
    check_crop_fits([(50, 50)], (64, 64), pad=True)
