"""CropsPerImageSampler: DeepDIVA's crops-per-image sampling, K pages cached."""
from typing import Iterator, Optional

from mmengine.dist import get_dist_info, sync_random_seed
from mmseg.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from ..crop_protocol import CropIndex, find_page_crop, page_sizes
from ..crop_schedule import (check_crop_fits, check_crop_settings,
                             epoch_schedule, remaining_uses, samples_per_rank)
from ..page_cache import SharedPageCache


@DATA_SAMPLERS.register_module()
class CropsPerImageSampler(Sampler):
    """``crops_per_image`` crops of every page per epoch, pages in groups.

    DeepDIVA's ``--crops-per-image`` / ``--imgs-in-memory`` sampling without
    its faults: pages are shuffled every epoch (from ``seed`` and the epoch
    set by ``set_epoch``), each rank works on its own pages, any worker count
    and any ``crops_per_image`` work, and at most ``imgs_in_memory`` decoded
    pages are resident in the whole process tree (main process and all
    DataLoader workers, train and val samplers together), held by a
    :class:`~mmseg_pixdiva.datasets.page_cache.SharedPageCache` bound to the
    dataset's :class:`LoadPageCrop`. The arithmetic is in
    :mod:`~mmseg_pixdiva.datasets.crop_schedule`; what sampler,
    transform and cache promise each other is in
    :mod:`~mmseg_pixdiva.datasets.crop_protocol`.

    The sequence is a pure function of ``(seed, epoch, rank, world_size)``:
    ``--resume`` of an epoch-based run continues with the next epoch's
    sequence, and an iteration-based run (whose loop replays the dataloader
    up to the resumed iteration) continues where it stopped; :meth:`skip`
    starts the next pass further in.

    Args:
        dataset (BaseDataset): A dataset whose pipeline has LoadPageCrop.
        crops_per_image (int): Crops per page and epoch (DeepDIVA: 50).
        imgs_in_memory (int): Decoded pages held at most (DeepDIVA: 4).
        shuffle (bool): Shuffle pages and crops every epoch.
        seed (int, optional): Run seed; None draws one shared by all ranks.
        fixed_seed (int, optional): For validation: use this seed and ignore
            the epoch, so every validation run sees the same crops.
        rank (int, optional): Defaults to the distributed rank.
        world_size (int, optional): Defaults to the distributed world size.
        cache_name (str): Samplers with the same name share one page cache
            (and its cap); train and val should.
        cache_dir (str, optional): Folder for the page files
            (default ``/dev/shm``).
        cache_event_log (str, optional): Event file of the cache (see
            :class:`SharedPageCache`), for tests and benchmarks.
    """

    def __init__(self,
                 dataset,
                 crops_per_image: int = 50,
                 imgs_in_memory: int = 4,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 fixed_seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 world_size: Optional[int] = None,
                 cache_name: str = 'default',
                 cache_dir: Optional[str] = None,
                 cache_event_log: Optional[str] = None) -> None:
        check_crop_settings(crops_per_image, imgs_in_memory)
        dist_rank, dist_world = get_dist_info()
        self.rank = dist_rank if rank is None else int(rank)
        self.world_size = dist_world if world_size is None \
            else int(world_size)
        self.dataset = dataset
        self.crops_per_image = int(crops_per_image)
        self.imgs_in_memory = int(imgs_in_memory)
        self.shuffle = shuffle
        self.fixed = fixed_seed is not None
        if self.fixed:
            seed = fixed_seed
        elif seed is None:
            seed = sync_random_seed()
        self.seed = int(seed)
        self.epoch = 0
        self.num_pages = len(dataset)
        if self.num_pages < self.world_size:
            raise ValueError(
                f'{self.num_pages} pages for {self.world_size} ranks: every '
                'rank needs at least one page of its own')
        transform = find_page_crop(dataset)
        self.crop_size = transform.crop_size
        # Header reads only; run for every dataset so that a page whose GT
        # has another size fails here, not mid-training.
        sizes = page_sizes(dataset)
        if not transform.pad:
            check_crop_fits(sizes, self.crop_size, pad=False)
        self.cache = SharedPageCache.named(
            cache_name, self.imgs_in_memory, directory=cache_dir,
            event_log=cache_event_log)
        transform.bind_cache(self.cache)
        self.stream = self.cache.add_stream(self.num_pages)
        self._passes = 0
        self._start = 0

    def __len__(self) -> int:
        """Samples of this rank per epoch."""
        return samples_per_rank(self.num_pages, self.crops_per_image,
                                self.world_size)

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (ignored with ``fixed_seed``)."""
        self.epoch = int(epoch)

    def skip(self, num_samples: int) -> None:
        """Start the next pass at sample ``num_samples`` of the epoch."""
        if not 0 <= num_samples <= len(self):
            raise ValueError(f'cannot skip {num_samples} of {len(self)} '
                             'samples')
        self._start = int(num_samples)

    def __iter__(self) -> Iterator[CropIndex]:
        epoch = 0 if self.fixed else self.epoch
        schedule = epoch_schedule(self.num_pages, self.crops_per_image,
                                  self.imgs_in_memory, self.seed, epoch,
                                  self.rank, self.world_size, self.shuffle)
        start, self._start = self._start, 0
        self._passes += 1
        pass_id = self._passes
        expected = remaining_uses(schedule.pages, start)
        for position in range(start, len(schedule.pages)):
            page = int(schedule.pages[position])
            yield CropIndex(page, int(schedule.keys[position]), self.stream,
                            pass_id, position,
                            int(schedule.group_starts[position]),
                            expected[page])
