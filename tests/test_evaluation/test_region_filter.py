"""The page clean-up: small groups and page-rare bits go, large ones stay."""
import numpy as np
import pytest

from mmseg_pixdiva.evaluation.region_filter import (filter_small_regions,
                                                      region_filter_settings)


def _page():
    blue = np.ones((200, 200), np.uint8)
    blue[20:80, 20:120] = 8           # main text block, 6000 px
    blue[100:103, 150:153] = 4        # a small decoration speck, 9 px
    blue[150:190, 10:50] = 12         # decoration over text, 1600 px
    blue[120:122, 20:22] = 2          # two comment strokes 10 px apart,
    blue[120:122, 32:34] = 2          # 4 px each
    return blue


def test_small_component_removed_large_kept():
    blue = _page()
    out = filter_small_regions(blue, min_area=(0, 100, 0))
    assert (out[100:103, 150:153] == 1).all()      # speck -> background
    assert (out[150:190, 10:50] == 12).all()       # large one kept
    assert (out[20:80, 20:120] == 8).all()
    changed = out != blue
    assert changed.sum() == 9
    assert np.array_equal(blue, _page())           # input untouched


def test_removing_one_bit_keeps_the_others():
    blue = _page()
    out = filter_small_regions(blue, min_area=(0, 5000, 0))
    assert (out[150:190, 10:50] == 8).all()        # 12 loses decoration only


def test_page_total_rule_removes_the_bit_everywhere():
    blue = _page()
    out = filter_small_regions(blue, min_page_pixels=(0, 2000, 0))
    assert not (out & 4).any()                     # 9 + 1600 < 2000
    assert (out[150:190, 10:50] == 8).all()
    keep = filter_small_regions(blue, min_page_pixels=(0, 1609, 0))
    assert np.array_equal(keep, blue)              # exactly enough


def test_group_distance_joins_nearby_strokes():
    blue = _page()
    # Each stroke alone (4 px) is below 6; together (8 px) they are not.
    alone = filter_small_regions(blue, min_area=(6, 0, 0))
    assert not (alone & 2).any()
    grouped = filter_small_regions(blue, min_area=(6, 0, 0),
                                   group_distance=5)
    assert np.array_equal(grouped, blue)


@pytest.mark.parametrize('kwargs,match', [
    (dict(min_area=(1, 2)), 'min_area has 2 values'),
    (dict(min_page_pixels=(0, -1, 0)), 'non-negative'),
    (dict(group_distance=-1), 'group_distance'),
    (dict(bits=(3, )), 'single bits'),
])
def test_bad_settings_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        region_filter_settings(**kwargs)
