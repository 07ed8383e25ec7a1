"""One progress bar for the pages of every process of a torchrun job.

Each process segments its own share of the pages at its own pace, so no
collective call fits between pages. Instead every process except rank 0
sends one small message per finished page, point to point on a gloo group
of its own, and a thread of rank 0 receives them from any sender and moves
mmengine's progress bar. Nothing is sent when not distributed.
"""
import threading
from typing import Optional

#: Messages: a page is finished, or the sender has no more pages.
_PAGE, _FINISHED = 1, 0


class ClusterProgress:
    """Progress of ``total`` pages over all ranks, shown by rank 0.

    Create it on every rank at the same point (it makes a process group),
    call :meth:`page_done` after each page and :meth:`close` once all of a
    rank's pages are done; rank 0's :meth:`close` returns when every rank
    has finished.

    Args:
        total (int): Pages to do over all ranks.
        distributed (bool): Whether a torch.distributed group is set up.
    """

    def __init__(self, total: int, distributed: bool) -> None:
        self._dist = None
        self.rank, self.world_size = 0, 1
        if distributed:
            import torch.distributed as dist
            self._dist = dist
            self.rank, self.world_size = dist.get_rank(), \
                dist.get_world_size()
            # Its own group: rank 0's listening thread must not interleave
            # with the main thread's collectives on the default group.
            self._group = dist.new_group(backend='gloo')
        self._bar = None
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        if self.rank == 0 and total > 0:
            from mmengine.utils import ProgressBar
            self._bar = ProgressBar(total)
        if self.rank == 0 and self.world_size > 1:
            self._thread = threading.Thread(target=self._listen,
                                            name='pixdiva-progress',
                                            daemon=True)
            self._thread.start()

    def page_done(self) -> None:
        """One page of this rank is finished (written, kept or failed)."""
        if self.rank == 0:
            self._advance()
        else:
            self._send(_PAGE)

    def close(self) -> None:
        """This rank has no more pages (rank 0: wait for all ranks)."""
        if self.rank != 0:
            self._send(_FINISHED)
        elif self._thread is not None:
            self._thread.join()
            self._thread = None

    def _advance(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.update()

    def _send(self, message: int) -> None:
        import torch
        self._dist.send(torch.tensor([message]), dst=0, group=self._group)

    def _listen(self) -> None:
        import torch
        message = torch.zeros(1, dtype=torch.long)
        finished = 0
        while finished < self.world_size - 1:
            self._dist.recv(message, group=self._group)  # from any rank
            if int(message) == _FINISHED:
                finished += 1
            else:
                self._advance()
