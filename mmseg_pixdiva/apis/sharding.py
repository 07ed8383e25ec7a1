"""Split a collection of pages across processes by their pixel count.

Inference time grows with a page's pixels, not with its name: splitting a
folder by position would give one process all the large sheets. The split
is the classic longest-first greedy: pages from the largest down, each to
the process with the fewest pixels so far (at most 4/3 of the best
possible longest share). Pure and deterministic, so every process of a run
computes the same split.
"""
from typing import List, Sequence


def balance_by_pixels(pixels: Sequence[int], parts: int) -> List[List[int]]:
    """Indices of the pages each of ``parts`` processes segments.

    Args:
        pixels (Sequence[int]): Pixel count of each page.
        parts (int): Number of processes (>= 1).

    Returns:
        list[list[int]]: For each process, its page indices in increasing
        order (so each process goes through the folder in order). Every
        index appears exactly once.

    Raises:
        ValueError: If ``parts < 1`` or a pixel count is negative.
    """
    if parts < 1:
        raise ValueError(f'need at least one part, got {parts}')
    if any(count < 0 for count in pixels):
        raise ValueError('pixel counts must not be negative')
    loads = [0] * parts
    shares: List[List[int]] = [[] for _ in range(parts)]
    # Largest first; equal pages in folder order; ties between processes
    # to the lowest rank.
    for index in sorted(range(len(pixels)), key=lambda i: (-pixels[i], i)):
        part = min(range(parts), key=lambda p: (loads[p], p))
        shares[part].append(index)
        loads[part] += pixels[index]
    return [sorted(share) for share in shares]
