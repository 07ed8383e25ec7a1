"""Decode pages ahead of the model, in DataLoader worker processes.

Decoding a 30-megapixel JPEG takes about as long as a GPU needs to segment
it. :func:`load_pages` runs the test pipeline's loading steps (everything
before ``PackSegInputs``, without GT loading) for the next pages in worker
processes while the model works on the current one, and hands the decoded
pages over in order. Prefetch is bounded: each worker holds at most
``prefetch`` decoded pages, so memory stays at a few pages whatever the
folder's size. With ``workers=0`` pages are decoded in the calling process
when they are needed (no overlap, one page in memory).

A page that cannot be decoded comes back as a :class:`LoadedPage` with an
``error`` naming the file, in its place in the order, so the caller reports
it and goes on.
"""
import copy
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Optional, Sequence

import numpy as np

#: The transform that turns loaded pages into model inputs; everything
#: before it is loading, done ahead by the workers.
PACK_TRANSFORM = 'PackSegInputs'


class LoadedPage(NamedTuple):
    """One page as the test pipeline's loading steps left it.

    Attributes:
        index (int): Position in the list of pages given to
            :func:`load_pages`.
        results (dict | None): The pipeline's results (``img`` is the
            decoded ``H x W x C`` uint8 array), None on error.
        error (str | None): Why the page could not be loaded, naming it.
    """
    index: int
    results: Optional[dict]
    error: Optional[str]


def split_test_pipeline(cfg) -> tuple:
    """The config's test pipeline as (loading steps, packing step).

    GT loaders (every ``*Annotations`` transform, mmseg's and ours) are
    dropped: inference has no GT. The packing step is the last
    ``PackSegInputs``; what comes after it, if anything, stays with it.

    Args:
        cfg: A model config with ``test_pipeline`` or
            ``test_dataloader.dataset.pipeline``.

    Returns:
        tuple[Compose, Compose]: Loading, then packing. The packing part is
        empty (identity) if the pipeline has no ``PackSegInputs``.
    """
    from mmengine.dataset import Compose
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        pipeline = cfg.test_dataloader.dataset.pipeline
    steps = [copy.deepcopy(t) for t in pipeline
             if 'Annotation' not in str(t.get('type', ''))]
    types = [str(t.get('type', '')) for t in steps]
    split = len(steps) - 1 - types[::-1].index(PACK_TRANSFORM) \
        if PACK_TRANSFORM in types else len(steps)
    return Compose(steps[:split]), Compose(steps[split:])


class _PageDataset:
    """Map-style dataset of pages (picklable for worker processes)."""

    def __init__(self, pages: Sequence[Path], load: Callable) -> None:
        self.pages = list(pages)
        self.load = load

    def __len__(self) -> int:
        return len(self.pages)

    def __getitem__(self, index: int) -> LoadedPage:
        import torch
        from torch.utils.data import get_worker_info

        from ..datasets.transforms.loading import ALLOCATE_KEY
        page = self.pages[index]
        # In a worker, the page is decoded straight into shared memory
        # (LoadScanFromFile calls ``allocate``): it then reaches the main
        # process without a copy. A tensor in ordinary memory would be
        # copied there on the way, twice the page in the worker.
        shared = _SharedPage() if get_worker_info() is not None else None
        start = dict(img_path=str(page))
        if shared is not None:
            start[ALLOCATE_KEY] = shared
        try:
            results = self.load(start)
        except Exception as error:  # decoders raise many types
            message = str(error)
            if not message.startswith(f'{page}: '):  # ours name the page
                message = f'{page}: cannot read image ({message})'
            return LoadedPage(index, None, message)
        if results is None or results.get('img') is None:
            return LoadedPage(index, None, f'{page}: cannot read image')
        results.pop(ALLOCATE_KEY, None)  # a pipeline without the reader
        image = results['img']
        if shared is not None and image is shared.array:
            results['img'] = shared.tensor
        elif isinstance(image, np.ndarray) and image.size > 0:
            # A tensor travels from a worker through shared memory; a numpy
            # array would be pickled through a pipe (a copy per page).
            results['img'] = torch.from_numpy(np.ascontiguousarray(image))
        return LoadedPage(index, results, None)


class _SharedPage:
    """Makes one page's array in shared memory and remembers it."""

    def __init__(self) -> None:
        self.tensor = self.array = None

    def __call__(self, shape) -> np.ndarray:
        import torch
        self.tensor = torch.empty(tuple(shape),
                                  dtype=torch.uint8).share_memory_()
        self.array = self.tensor.numpy()
        return self.array


def _as_is(item):
    return item


def _worker_init(worker_id: int) -> None:
    """Leave SIGTERM to the main process.

    torchrun stops a job by sending SIGTERM to the process group; a worker
    dying of it makes the DataLoader raise in the middle of the main
    process's clean exit. Workers end with their parent anyway (the
    DataLoader's own watchdog), and Ctrl-C's SIGINT they already ignore.
    """
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _with_numpy_image(item: LoadedPage) -> LoadedPage:
    if item.results is not None and hasattr(item.results['img'], 'numpy'):
        item.results['img'] = item.results['img'].numpy()
    return item


def load_pages(pages: Sequence[Path], load: Callable, workers: int = 1,
               prefetch: int = 1) -> Iterator[LoadedPage]:
    """Decode ``pages`` in order, ``workers`` processes ahead.

    Args:
        pages (Sequence[Path]): Page images.
        load (Callable): The loading steps (:func:`split_test_pipeline`).
        workers (int): Worker processes; 0 decodes each page in this
            process when it is asked for.
        prefetch (int): Pages each worker decodes ahead.

    Yields:
        LoadedPage: One per page, in the order of ``pages``; ``img`` is a
        numpy array.
    """
    dataset = _PageDataset(pages, load)
    if workers == 0 or len(pages) == 0:
        for index in range(len(dataset)):
            yield _with_numpy_image(dataset[index])
        return
    from torch.utils.data import DataLoader
    loader = DataLoader(dataset, batch_size=None, shuffle=False,
                        num_workers=min(workers, len(pages)),
                        prefetch_factor=prefetch, collate_fn=_as_is,
                        worker_init_fn=_worker_init)
    iterator = iter(loader)
    try:
        for item in iterator:
            yield _with_numpy_image(item)
    finally:
        # The last reference: the iterator stops its workers now (an
        # interrupted run, a failing page), not at some later collection.
        del iterator
