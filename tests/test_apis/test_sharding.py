"""balance_by_pixels: every page once, loads balanced by pixels."""
import itertools

import pytest

from mmseg_pixdiva.apis.sharding import balance_by_pixels


def test_every_page_once_in_folder_order():
    pixels = [5, 1, 9, 3, 3, 7, 2]
    shares = balance_by_pixels(pixels, 3)
    assert sorted(itertools.chain(*shares)) == list(range(len(pixels)))
    assert all(share == sorted(share) for share in shares)


def test_large_pages_are_spread_not_split_by_name():
    # By position, process 0 would get both large sheets.
    pixels = [100, 100, 1, 1, 1, 1]
    shares = balance_by_pixels(pixels, 2)
    loads = [sum(pixels[i] for i in share) for share in shares]
    assert loads == [102, 102]
    assert {0, 1} not in [set(share) & {0, 1} for share in shares]


def test_within_four_thirds_of_the_best_split():
    # Longest-first greedy: at most 4/3 of the optimum's largest load.
    pixels = [7, 7, 6, 6, 5, 5, 4, 4, 4]
    best = min(max(sum(pixels[i] for i in range(len(pixels))
                       if assignment[i] == part) for part in range(3))
               for assignment in itertools.product(range(3),
                                                   repeat=len(pixels)))
    shares = balance_by_pixels(pixels, 3)
    largest = max(sum(pixels[i] for i in share) for share in shares)
    assert largest <= 4 / 3 * best


def test_more_processes_than_pages_and_one_process():
    assert balance_by_pixels([3, 4], 4) == [[1], [0], [], []]
    assert balance_by_pixels([3, 4, 5], 1) == [[0, 1, 2]]
    assert balance_by_pixels([], 2) == [[], []]


@pytest.mark.parametrize('pixels,parts', [([1], 0), ([-1], 1)])
def test_bad_arguments(pixels, parts):
    with pytest.raises(ValueError):
        balance_by_pixels(pixels, parts)
