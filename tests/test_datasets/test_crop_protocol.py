"""The crop protocol's shared pieces, without torch or mmseg."""
import pickle
from types import SimpleNamespace

import pytest

from mmseg_pixdiva.datasets.crop_protocol import (PAGE_CROP_KEY, CropIndex,
                                                  find_page_crop)


def test_crop_index_is_the_page_index_and_carries_the_descriptor():
    index = CropIndex(3, key=7, stream=1, pass_id=2, position=5,
                      group_start=4, expected=9)
    assert index == 3 and [10, 11, 12, 13][index] == 13
    copy = pickle.loads(pickle.dumps(index))  # what reaches a worker
    assert copy.to_dict() == index.to_dict() == dict(
        page=3, key=7, stream=1, pass_id=2, position=5, group_start=4,
        expected=9)
    assert PAGE_CROP_KEY == 'page_crop'


def test_the_transform_is_found_by_what_the_protocol_asks_of_it():
    crop = SimpleNamespace(crop_size=(8, 8), pad=True,
                           bind_cache=lambda cache: None)
    dataset = SimpleNamespace(pipeline=SimpleNamespace(
        transforms=[SimpleNamespace(crop_size=(8, 8)), crop]))
    assert find_page_crop(dataset) is crop
    with pytest.raises(ValueError, match='needs a LoadPageCrop transform'):
        find_page_crop(SimpleNamespace(pipeline=SimpleNamespace(
            transforms=[SimpleNamespace(crop_size=(8, 8))])))


def test_the_protocol_loads_neither_torch_nor_mmseg(fresh_python):
    out = fresh_python(
        'import sys, mmseg_pixdiva.datasets.crop_protocol, '
        'mmseg_pixdiva.datasets.dataset_check\n'
        "print('torch' in sys.modules, 'mmseg' in sys.modules)")
    assert out == 'False False'
