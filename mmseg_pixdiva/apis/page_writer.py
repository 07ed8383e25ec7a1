"""Encode and write predictions while the model works on the next page.

Encoding a page's PNG costs about as much as decoding its scan. A
:class:`PageWriter` with ``background=True`` takes the class bands of a page
as they come (:meth:`PageWriter.rows`) and encodes them in a thread, in
order, through :class:`~mmseg_pixdiva.utils.gt_format.GTFormatPngStream`
(zlib and numpy release the GIL, so the thread runs beside the model). The
queue between them is bounded, so a slow disk holds the model back instead
of filling memory. With ``background=False`` the same calls write in the
caller's thread.

Every page is written atomically: a page that is aborted, fails, or is still
being written when the run is interrupted leaves no file.
"""
import queue
import threading
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Sequence

import numpy as np

from ..utils.gt_format import GTFormatPngStream

#: Chunks waiting for the writer thread at most (back-pressure on the
#: model).
QUEUE_CHUNKS = 8

#: Pixels of class indices gathered before they go to the writer thread:
#: a handful of hand-overs per page rather than one per band, since each
#: hand-over makes the two threads take turns at the GIL.
CHUNK_PIXELS = 1 << 22


class WrittenPage(NamedTuple):
    """The outcome of one page: ``error`` is None if it was written."""
    key: object
    path: Path
    error: Optional[str]


class _Job:

    def __init__(self, key, path: Path, width: int, height: int) -> None:
        self.key, self.path = key, path
        self.width, self.height = width, height
        self.stream = None
        self.error: Optional[str] = None


_OPEN, _ROWS, _END, _ABORT, _STOP = range(5)


class PageWriter:
    """Writes GT-format pages band by band, in the background or inline.

    Calls for one page: :meth:`begin`, :meth:`rows` (any number of bands,
    top to bottom), then :meth:`end` or :meth:`abort`. Finished pages are
    collected with :meth:`finished`; :meth:`close` waits for the rest.

    Args:
        label_values (Sequence[int]): Blue value of each class.
        background (bool): Encode in a thread (True) or in the caller's.
        after_write (Callable, optional): ``after_write(key, path)``, called
            in the writer's thread once a page is in place (e.g. its PAGE
            XML); an exception fails the page.
    """

    def __init__(self, label_values: Sequence[int], background: bool = True,
                 after_write: Optional[Callable] = None) -> None:
        self.label_values = list(label_values)
        self.after_write = after_write
        self._done: List[WrittenPage] = []
        self._lock = threading.Lock()
        self._current: Optional[_Job] = None
        self._rows: List[np.ndarray] = []
        # Class indices fit a byte for up to 256 classes: a quarter or an
        # eighth of what the model hands over, in the queue and the buffer.
        self._dtype = np.uint8 if len(self.label_values) <= 256 else np.int32
        self._queue = None
        self._thread = None
        if background:
            self._queue = queue.Queue(QUEUE_CHUNKS)
            self._thread = threading.Thread(target=self._work,
                                            name='pixdiva-page-writer',
                                            daemon=True)
            self._thread.start()

    # The caller's side.
    def begin(self, key, path: Path, width: int, height: int) -> None:
        """Start the page ``key``, ``width x height``, written to ``path``."""
        if self._current is not None:
            raise RuntimeError('begin() before the previous page ended')
        self._current = _Job(key, Path(path), width, height)
        self._send(_OPEN, self._current)

    def rows(self, classes: np.ndarray) -> None:
        """The next band of class indices (``rows x width``)."""
        if self._current is None:
            raise RuntimeError('no page begun')
        self._rows.append(np.asarray(classes, dtype=self._dtype))
        if sum(band.size for band in self._rows) >= CHUNK_PIXELS:
            self._flush_rows()

    def _flush_rows(self) -> None:
        if self._rows:
            chunk = self._rows[0] if len(self._rows) == 1 else \
                np.concatenate(self._rows)
            self._rows = []
            self._send(_ROWS, self._current, chunk)

    def end(self) -> None:
        """The page is complete: put it in place."""
        self._flush_rows()
        self._send(_END, self._current)
        self._current = None

    def abort(self) -> None:
        """Drop the page being given (nothing of it is written)."""
        self._rows = []
        if self._current is not None:
            self._send(_ABORT, self._current)
            self._current = None

    def finished(self) -> List[WrittenPage]:
        """Pages finished (written or failed) since the last call."""
        with self._lock:
            done, self._done = self._done, []
        return done

    def close(self) -> List[WrittenPage]:
        """Abort an unfinished page, wait for the others to be written.

        Returns:
            list[WrittenPage]: What :meth:`finished` has not returned yet.
        """
        self.abort()
        if self._thread is not None:
            self._queue.put((_STOP, None, None))
            self._thread.join()
            self._thread = None
        return self.finished()

    def _send(self, kind: int, job: Optional[_Job], data=None) -> None:
        if job is None:
            raise RuntimeError('no page begun')
        if self._queue is None:
            self._handle(kind, job, data)
        else:
            self._queue.put((kind, job, data))

    # The writer's side.
    def _work(self) -> None:
        while True:
            kind, job, data = self._queue.get()
            if kind == _STOP:
                return
            self._handle(kind, job, data)

    def _handle(self, kind: int, job: _Job, data) -> None:
        if job.error is not None:  # failed earlier: drop the rest of it
            if kind == _END:
                self._report(job)
            return
        try:
            if kind == _OPEN:
                job.stream = GTFormatPngStream(job.path, job.width,
                                               job.height, self.label_values)
                job.stream.__enter__()
            elif kind == _ROWS:
                job.stream.write_classes(data)
            elif kind == _END:
                stream, job.stream = job.stream, None
                stream.__exit__(None, None, None)  # renames into place
                if self.after_write is not None:
                    self.after_write(job.key, job.path)
                self._report(job)
            elif kind == _ABORT:  # the caller reports the page itself
                self._drop(job, None)
        except Exception as error:  # disk full, bad rows: this page fails
            self._drop(job, error)
            job.error = f'{job.path}: cannot write it ({error})'
            if kind == _END:
                self._report(job)

    @staticmethod
    def _drop(job: _Job, error: Optional[BaseException]) -> None:
        if job.stream is not None:
            stream, job.stream = job.stream, None
            failure = error or RuntimeError('aborted')
            try:
                stream.__exit__(type(failure), failure, None)  # deletes it
            except Exception:
                pass

    def _report(self, job: _Job) -> None:
        """The page is finished: written, or failed with ``job.error``."""
        with self._lock:
            self._done.append(WrittenPage(job.key, job.path, job.error))
