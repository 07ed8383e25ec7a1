"""SharedPageCache: at most K decoded pages for a whole process tree.

DataLoader workers are separate processes, each with its own copy of the
dataset; a cache inside the dataset would hold K pages *per worker*. This
cache keeps its pages in files of a RAM-backed folder (``/dev/shm`` on
Linux) and its bookkeeping (a slot table, a lock and a condition) in
``multiprocessing`` shared memory created in the main process before the
workers start, so the main process and every worker see one cache of
``capacity`` slots. A page is decoded by the first process that needs it,
into a free slot, and mapped read-only by every process that crops from it;
a process maps a page only while it copies its crop (a reference is held),
so evicting a page frees its memory at once.

Eviction never waits on a page that is needed earlier than the requested one
and never throws out one that is needed sooner: samples carry their position
in the sampler's order and the start of their page group (see
:mod:`~mmseg_pixdiva.datasets.crop_protocol`); a full cache evicts,
in this order, a page of another stream or an older pass, a page whose crops
are all done, or the page whose group starts last after the requester's
position. Otherwise the requester waits for the earlier pages to finish,
which they do because the DataLoader processes samples in order; with the
sampler's groups of ``capacity`` pages the wait always ends (a long stall,
e.g. from foreign use of the cache, falls back to evicting the least recently
used idle page, with a warning).

Only numpy and the standard library are used (no torch, no mmseg).
"""
import atexit
import multiprocessing
import os
import os.path as osp
import shutil
import tempfile
import time
import warnings
from typing import Callable, Dict, List, Optional, Tuple

import mmap
import numpy as np

# Slot table columns.
_STATE, _STREAM, _PAGE, _PASS, _GROUP, _EXPECTED, _REFS, _LAST_USE, _GEN, \
    _H, _W, _C = range(12)
_NUM_FIELDS = 12
_FREE, _LOADING, _READY = 0, 1, 2

#: Caches by name, per process (see :meth:`SharedPageCache.named`).
_NAMED: Dict[str, 'SharedPageCache'] = {}


def _ram_dir() -> Optional[str]:
    return '/dev/shm' if osp.isdir('/dev/shm') and os.access(
        '/dev/shm', os.W_OK) else None


_FOLDER_PREFIX = 'pixdiva-pages-'


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def remove_orphaned_page_folders(parent: str) -> List[str]:
    """Delete page folders whose owner process no longer exists.

    Page files live in RAM (``/dev/shm``); a run killed by a signal never
    reaches its ``atexit`` clean-up, and its pages would hold memory until
    reboot.

    Args:
        parent (str): Where the page folders are created.

    Returns:
        list[str]: The folders removed.
    """
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(_FOLDER_PREFIX):
            continue
        pid = name[len(_FOLDER_PREFIX):].split('-', 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(osp.join(parent, name), ignore_errors=True)
            removed.append(name)
    return removed


class SharedPageCache:
    """A cross-process cache of decoded pages (image + class map).

    Create it in the main process before DataLoader workers start (the
    sampler does), then register every sample stream with
    :meth:`add_stream`.

    Args:
        capacity (int): Pages held at most, decoding ones included.
        directory (str, optional): Parent folder of the page files; by
            default ``/dev/shm`` (RAM) or the system temp folder.
        event_log (str, optional): Append one line per reserve/ready/evict
            event (``event pid slot stream page``) to this file, written
            under the cache lock so the file order is the true order (tests
            and benchmarks count resident pages from it).
        stall_timeout (float): Seconds without progress after which a
            waiting request evicts the least recently used idle page.
    """

    def __init__(self,
                 capacity: int,
                 directory: Optional[str] = None,
                 event_log: Optional[str] = None,
                 stall_timeout: float = 120.0) -> None:
        if capacity < 1:
            raise ValueError(f'capacity must be at least 1, got {capacity}')
        self.capacity = int(capacity)
        self.event_log = event_log
        self.stall_timeout = float(stall_timeout)
        self._cond = multiprocessing.Condition(multiprocessing.Lock())
        self._table = multiprocessing.RawArray('q',
                                               self.capacity * _NUM_FIELDS)
        self._tick = multiprocessing.RawValue('q', 0)
        self._streams = []
        parent = directory or _ram_dir()
        remove_orphaned_page_folders(parent)
        # The owner's pid in the name lets a later run remove the folder if
        # this process is killed before its atexit handler runs.
        self.folder = tempfile.mkdtemp(
            prefix=f'{_FOLDER_PREFIX}{os.getpid()}-', dir=parent)
        self._owner = os.getpid()
        atexit.register(self.close)

    @classmethod
    def named(cls, name: str, capacity: int, **kwargs) -> 'SharedPageCache':
        """The process's cache called ``name``, created on first use.

        Samplers of one run (train and val) share the cache ``'default'``,
        so the cap holds for both together.

        Raises:
            ValueError: If the cache exists with another capacity.
        """
        cache = _NAMED.get(name)
        if cache is not None and cache._owner == os.getpid() \
                and not cache.closed:
            if cache.capacity != capacity:
                raise ValueError(
                    f'page cache {name!r} already holds {cache.capacity} '
                    f'pages; give every CropsPerImageSampler of the run the '
                    f'same imgs_in_memory (got {capacity}) or another '
                    'cache_name')
            return cache
        cache = cls(capacity, **kwargs)
        _NAMED[name] = cache
        return cache

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` removed the page folder."""
        return not osp.isdir(self.folder)

    def close(self) -> None:
        """Remove the page files (owner process only)."""
        if os.getpid() == self._owner:
            shutil.rmtree(self.folder, ignore_errors=True)

    def add_stream(self, num_pages: int) -> int:
        """Register a sample stream (a sampler) of ``num_pages`` pages.

        Must run in the main process before the workers start: it allocates
        the stream's per-page "crops done" counters in shared memory.

        Returns:
            int: The stream id to put in the samples.
        """
        self._streams.append(multiprocessing.RawArray('q', 2 * num_pages))
        return len(self._streams) - 1

    # ----------------------------------------------------------- internals
    def _get(self, slot: int, field: int) -> int:
        return self._table[slot * _NUM_FIELDS + field]

    def _set(self, slot: int, field: int, value: int) -> None:
        self._table[slot * _NUM_FIELDS + field] = int(value)

    def _path(self, slot: int) -> str:
        return osp.join(self.folder, f'slot{slot}-{self._get(slot, _GEN)}')

    def _log(self, event: str, slot: int) -> None:
        if self.event_log:
            with open(self.event_log, 'a') as f:
                f.write(f'{event} {os.getpid()} {slot} '
                        f'{self._get(slot, _STREAM)} '
                        f'{self._get(slot, _PAGE)}\n')

    def _done(self, slot: int) -> bool:
        stream = self._get(slot, _STREAM)
        if stream >= len(self._streams):
            return False
        counters = self._streams[stream]
        page = self._get(slot, _PAGE)
        return counters[2 * page] == self._get(slot, _PASS) and \
            counters[2 * page + 1] >= self._get(slot, _EXPECTED)

    def _find(self, stream: int, page: int) -> Optional[int]:
        for slot in range(self.capacity):
            if self._get(slot, _STATE) != _FREE and \
                    self._get(slot, _STREAM) == stream and \
                    self._get(slot, _PAGE) == page:
                return slot
        return None

    def _victim(self, request: dict) -> Optional[int]:
        """Slot to (re)use for ``request``, or None to wait."""
        stale, newer = [], []
        for slot in range(self.capacity):
            state = self._get(slot, _STATE)
            if state == _FREE:
                return slot
            if state != _READY or self._get(slot, _REFS):
                continue
            last_use = self._get(slot, _LAST_USE)
            same_pass = (self._get(slot, _STREAM) == request['stream'] and
                         self._get(slot, _PASS) == request['pass_id'])
            if not same_pass or self._done(slot):
                stale.append((last_use, slot))
            elif self._get(slot, _GROUP) > request['position']:
                newer.append((self._get(slot, _GROUP), slot))
        if stale:
            return min(stale)[1]
        if newer:
            return max(newer)[1]
        return None

    def _lru_idle(self) -> Optional[int]:
        idle = [(self._get(s, _LAST_USE), s) for s in range(self.capacity)
                if self._get(s, _STATE) == _READY and not self._get(s, _REFS)]
        return min(idle)[1] if idle else None

    def _evict(self, slot: int) -> None:
        if self._get(slot, _STATE) != _FREE:
            self._log('evict', slot)
            try:
                os.unlink(self._path(slot))
            except FileNotFoundError:
                pass
        self._set(slot, _STATE, _FREE)

    def _tag(self, slot: int, request: dict) -> None:
        self._set(slot, _PASS, request['pass_id'])
        self._set(slot, _GROUP, request['group_start'])
        self._set(slot, _EXPECTED, request['expected'])

    def _acquire(self, request: dict) -> Tuple[int, bool]:
        """Reference the request's page; returns (slot, must_load)."""
        stream, page = request['stream'], request['page']
        stalled_since = time.monotonic()
        with self._cond:
            while True:
                slot = self._find(stream, page)
                if slot is not None and self._get(slot, _STATE) == _READY:
                    self._set(slot, _REFS, self._get(slot, _REFS) + 1)
                    if request['pass_id'] >= self._get(slot, _PASS):
                        self._tag(slot, request)
                    return slot, False
                if slot is None:
                    victim = self._victim(request)
                    if victim is None and time.monotonic() - stalled_since \
                            > self.stall_timeout:
                        victim = self._lru_idle()
                        if victim is not None:
                            warnings.warn(
                                f'page cache stalled {self.stall_timeout:.0f}'
                                f' s; evicting page {self._get(victim, _PAGE)}'
                                ' that is still needed')
                    if victim is not None:
                        self._evict(victim)
                        self._set(victim, _GEN, self._get(victim, _GEN) + 1)
                        for field, value in ((_STREAM, stream),
                                             (_PAGE, page), (_REFS, 1),
                                             (_STATE, _LOADING)):
                            self._set(victim, field, value)
                        self._tag(victim, request)
                        self._log('reserve', victim)
                        return victim, True
                # Loading elsewhere, or waiting for earlier pages to finish.
                self._cond.wait(0.5)

    def _store(self, slot: int, img: np.ndarray, gt: np.ndarray) -> None:
        if img.ndim == 2:
            img = img[..., None]
        if img.dtype != np.uint8 or gt.dtype != np.uint8 or \
                gt.shape != img.shape[:2]:
            raise ValueError(
                f'page cache stores uint8 image and class map of one size, '
                f'got {img.dtype} {img.shape} and {gt.dtype} {gt.shape}')
        path = self._path(slot)
        with open(path, 'wb') as f:
            np.ascontiguousarray(img).tofile(f)
            np.ascontiguousarray(gt).tofile(f)
        with self._cond:
            for field, value in zip((_H, _W, _C), img.shape):
                self._set(slot, field, value)
            self._set(slot, _STATE, _READY)
            self._log('ready', slot)
            self._cond.notify_all()

    def _release(self, slot: int, request: dict, loaded: bool,
                 loader: bool) -> None:
        with self._cond:
            self._set(slot, _REFS, self._get(slot, _REFS) - 1)
            if not loaded and loader:  # the load failed: give the slot back
                self._evict(slot)
            self._tick.value += 1
            self._set(slot, _LAST_USE, self._tick.value)
            if loaded and request['stream'] < len(self._streams):
                counters = self._streams[request['stream']]
                page = request['page']
                if counters[2 * page] != request['pass_id']:
                    counters[2 * page] = request['pass_id']
                    counters[2 * page + 1] = 0
                counters[2 * page + 1] += 1
            self._cond.notify_all()

    # --------------------------------------------------------------- public
    def crop(self, request: dict,
             decode: Callable[[], Tuple[np.ndarray, np.ndarray]],
             window: Callable[[Tuple[int, int]], Tuple[int, int, int, int]]
             ) -> Tuple[np.ndarray, np.ndarray, Tuple[int, int]]:
        """Copy a window of a page's image and class map.

        Args:
            request (dict): The sample's descriptor
                (:meth:`CropIndex.to_dict`).
            decode (callable): Returns ``(img HxWxC uint8, gt HxW uint8)``;
                called when the page is not cached.
            window (callable): Maps the page's ``(h, w)`` to the region
                ``(y1, y2, x1, x2)`` to copy.

        Returns:
            tuple: ``(img_crop, gt_crop, (h, w))``, private copies.
        """
        slot, must_load = self._acquire(request)
        done = False
        try:
            if must_load:
                img, gt = decode()
                self._store(slot, img, gt)
                del img, gt
            with self._cond:
                shape = tuple(self._get(slot, f) for f in (_H, _W, _C))
                path = self._path(slot)
            size = shape[0] * shape[1] * (shape[2] + 1)
            with open(path, 'rb') as f:
                mapped = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
            try:
                y1, y2, x1, x2 = window(shape[:2])
                img = np.frombuffer(mapped, np.uint8, shape[0] * shape[1] *
                                    shape[2]).reshape(shape)
                gt = np.frombuffer(mapped, np.uint8, shape[0] * shape[1],
                                   offset=img.size).reshape(shape[:2])
                img_crop = img[y1:y2, x1:x2].copy()
                gt_crop = gt[y1:y2, x1:x2].copy()
                del img, gt  # no view may outlive the mapping
            finally:
                mapped.close()
            done = True
        finally:
            self._release(slot, request, done, must_load)
        if img_crop.shape[2] == 1:
            img_crop = img_crop[..., 0]
        return img_crop, gt_crop, shape[:2]

    def resident_pages(self) -> int:
        """Slots holding or decoding a page now."""
        with self._cond:
            return sum(self._get(s, _STATE) != _FREE
                       for s in range(self.capacity))
