"""PairedBlueChannelDataset: DeepDIVA's paired ``data``/``gt`` layout."""
import copy
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from ..core.encoding import check_label_values, distinct_palette
from .label_discovery import LABEL_CACHE_NAME, discover_label_values
from .pairing import (GT_SUFFIXES, IMAGE_SUFFIXES, PairingError,
                      pair_by_stem, select_pages)
from .crop_protocol import PAGE_CROP_KEY


@DATASETS.register_module()
class PairedBlueChannelDataset(BaseSegDataset):
    """Pages in ``<data_root>/<split>/data`` with GTs in ``<split>/gt``.

    Images and GTs are paired by file stem (``page23.jpg`` with
    ``page23.png``). The class of a pixel is the blue value of the RGB GT;
    class ``i`` has blue value ``label_values[i]``.

    Args:
        label_values (Sequence[int], optional): Blue values in class order.
            If None, they are found by scanning the training GTs
            (``label_discovery_prefix``) once, and cached in the data root,
            so train, val and test agree and the number of classes is known
            before the model is built.
        class_names (Sequence[str], optional): Names for the classes; by
            default ``'blue=<value>'`` (``metainfo=dict(classes=...)`` works
            too).
        label_discovery_prefix (str): GT folder, relative to ``data_root``,
            scanned when ``label_values`` is None.
        boundary_to_background (bool): Default of
            :class:`LoadBlueChannelAnnotations`: set boundary pixels (red
            bit 7) to the background class.
        background_value (int, optional): Blue value of the background
            class; defaults to ``label_values[0]``.
        img_suffixes (Sequence[str]): Image suffixes to pair.
        gt_suffixes (Sequence[str]): GT suffixes to pair.
        data_prefixes (Sequence[dict], optional): Several image/GT folder
            pairs (``dict(img_path=..., seg_map_path=...)``, relative to
            ``data_root`` unless absolute) whose pages form one dataset, in
            this order: e.g. the ``train`` and ``val`` folders of two
            manuscripts in one training run, read in place. Replaces
            ``data_prefix``; a stem found in two folders is an error.
        pages (Sequence[str], optional): Keep only the pages with these
            stems, in the folders' order; a stem that no folder holds is an
            error naming the folders. By default every page.
        **kwargs: :class:`mmseg.datasets.BaseSegDataset` arguments
            (``data_root``, ``data_prefix=dict(img_path='train/data',
            seg_map_path='train/gt')``, ``pipeline``, ``test_mode`` ...).
    """

    METAINFO = dict(classes=None, label_values=None)

    def __init__(self,
                 label_values: Optional[Sequence[int]] = None,
                 class_names: Optional[Sequence[str]] = None,
                 label_discovery_prefix: str = 'train/gt',
                 boundary_to_background: bool = False,
                 background_value: Optional[int] = None,
                 img_suffixes: Sequence[str] = IMAGE_SUFFIXES,
                 gt_suffixes: Sequence[str] = GT_SUFFIXES,
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 data_prefixes: Optional[Sequence[dict]] = None,
                 pages: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if kwargs.get('data_prefix', ()) is None:
            del kwargs['data_prefix']  # None: mmseg's default (unused here)
        if data_prefixes is not None:
            if kwargs.get('data_prefix'):
                raise ValueError('give data_prefix or data_prefixes, not '
                                 'both')
            data_prefixes = [dict(p) for p in data_prefixes]
            if not data_prefixes or any('img_path' not in p
                                        for p in data_prefixes):
                raise ValueError('data_prefixes must be a non-empty list of '
                                 'dict(img_path=..., seg_map_path=...), got '
                                 f'{data_prefixes!r}')
        self.data_prefixes = data_prefixes
        if pages is not None:
            if isinstance(pages, str) or not pages:
                raise ValueError('pages must be a non-empty list of page '
                                 f'stems, got {pages!r}')
            pages = [str(p) for p in pages]
            repeated = sorted({p for p in pages if pages.count(p) > 1})
            if repeated:
                raise ValueError(f'pages lists {repeated} more than once')
        self.pages = pages
        self.img_suffixes = tuple(s.lower() for s in img_suffixes)
        self.gt_suffixes = tuple(s.lower() for s in gt_suffixes)
        self.boundary_to_background = boundary_to_background
        metainfo = copy.deepcopy(metainfo) or {}
        if label_values is None:
            label_values = metainfo.get('label_values')
        if label_values is None and data_prefixes is not None:
            raise ValueError(
                'data_prefixes needs label_values: the classes are '
                'discovered from one training GT folder '
                '(label_discovery_prefix), and a dataset over several '
                'folders must not depend on which one')
        if label_values is None:
            label_values = self._discover(data_root, label_discovery_prefix)
        # Checked here so a bad config fails at build time, not at the first
        # GT decoded (possibly hours into training).
        self.label_values = check_label_values(label_values)
        if background_value is None:
            background_value = self.label_values[0]
        if int(background_value) not in self.label_values:
            raise ValueError(f'background_value {background_value} is not '
                             f'one of label_values {self.label_values}')
        self.background_value = int(background_value)
        if class_names is None:
            class_names = metainfo.get('classes') or self.default_class_names(
                self.label_values)
        if len(class_names) != len(self.label_values):
            raise ValueError(
                f'{len(class_names)} class names for '
                f'{len(self.label_values)} label_values {self.label_values}')
        # The GT decoding rule travels with the classes, so that code
        # decoding a GT file outside the pipeline (the confusion metric,
        # the page hooks) gets the classes LoadBlueChannelAnnotations gives.
        metainfo.update(classes=tuple(class_names),
                        label_values=tuple(self.label_values),
                        boundary_to_background=bool(boundary_to_background),
                        background_value=self.background_value)
        if metainfo.get('palette') is None:
            metainfo['palette'] = self.default_palette(self.label_values)
        super().__init__(metainfo=metainfo, data_root=data_root, **kwargs)

    @staticmethod
    def default_class_names(label_values: Sequence[int]) -> List[str]:
        """Class names when none are given."""
        return [f'blue={v}' for v in label_values]

    @staticmethod
    def default_palette(label_values: Sequence[int]) -> list:
        """Palette when none is given: distinct, fixed colours."""
        return distinct_palette(len(label_values))

    def _discover(self, data_root: Optional[str], prefix: str) -> List[int]:
        gt_dir = prefix if data_root is None else osp.join(data_root, prefix)
        if not osp.isdir(gt_dir):
            raise FileNotFoundError(
                f'label_values not given and the training GT folder {gt_dir} '
                'to discover them from does not exist; set label_values in '
                'the dataset config')
        img_dir = osp.join(osp.dirname(gt_dir), 'data')
        # Pair first, even when the image folder is missing: the pairing
        # error names the folder and what is wrong with it, where an empty
        # GT list would only say "no GT files".
        try:
            pairs = pair_by_stem(img_dir, gt_dir)
        except PairingError as error:
            raise PairingError(
                f'label_values not given and the classes cannot be '
                f'discovered from the training GTs in {gt_dir}: '
                f'{error}') from None
        gt_paths = [gt for _, _, gt in pairs]
        cache = osp.join(data_root or osp.dirname(osp.dirname(gt_dir)),
                         LABEL_CACHE_NAME)
        values = discover_label_values(gt_paths, cache_file=cache)
        self.check_discovered_values(values, gt_paths, osp.dirname(cache))
        return values

    def check_discovered_values(self, label_values: Sequence[int],
                                gt_paths: Sequence[str],
                                cache_dir: str) -> None:
        """Refuse discovered classes the encoding cannot mean (a hook).

        Every blue value is a class here; subclasses refuse the values that
        their GT encoding never holds.

        Args:
            label_values (Sequence[int]): The discovered blue values.
            gt_paths (Sequence[str]): The training GTs they came from.
            cache_dir (str): Folder of the dataset's caches (the data
                root).
        """

    def load_data_list(self) -> List[dict]:
        """Pair ``data_prefix['img_path']`` with ``['seg_map_path']`` by stem.

        Returns:
            list[dict]: One dict per page with ``img_path``,
            ``seg_map_path``, ``label_values``, ``boundary_to_background``,
            ``background_value`` and mmseg's usual keys.
        """
        pairs = select_pages(
            [pair_by_stem(img_dir, gt_dir, self.img_suffixes,
                          self.gt_suffixes)
             for img_dir, gt_dir in self._folders()], self.pages)
        data_list = []
        for _, img_path, gt_path in pairs:
            data_list.append(
                dict(
                    img_path=img_path,
                    seg_map_path=gt_path,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[],
                    label_values=tuple(self.label_values),
                    background_value=self.background_value,
                    boundary_to_background=self.boundary_to_background))
        return data_list

    def _folders(self) -> List[Tuple[str, Optional[str]]]:
        """``(image folder, GT folder or None)`` of every prefix."""
        if self.data_prefixes is None:
            return [(self.data_prefix.get('img_path', None),
                     self.data_prefix.get('seg_map_path', None) or None)]
        root = self.data_root or ''
        return [(osp.join(root, p['img_path']),
                 osp.join(root, p['seg_map_path'])
                 if p.get('seg_map_path') else None)
                for p in self.data_prefixes]

    def get_data_info(self, idx: int) -> dict:
        """Data info of page ``idx``.

        A :class:`~mmseg_pixdiva.datasets.samplers.CropIndex` (what
        :class:`CropsPerImageSampler` yields) also puts its crop descriptor
        under ``'page_crop'`` for :class:`LoadPageCrop`.
        """
        data_info = super().get_data_info(int(idx))
        to_dict = getattr(idx, 'to_dict', None)
        if to_dict is not None:
            data_info[PAGE_CROP_KEY] = to_dict()
        return data_info
