"""TestPicturesHook: full-resolution colour pictures of every test page."""
import os.path as osp
import warnings
from pathlib import Path
from typing import List, Optional, Sequence

from mmengine.dist import get_rank

from mmseg.registry import HOOKS
from mmseg_pixdiva.utils.atomic import atomic_write_image
from mmseg_pixdiva.utils.output_guard import PathLike
from mmseg_pixdiva.visualization import (LEGEND, PICTURE_KINDS,
                                         PICTURE_SOFTWARE, is_picture_file,
                                         legend_image, page_pictures,
                                         picture_path, write_page_pictures)
from mmseg_pixdiva.visualization.io import decode_rgb

from .output_check import Folders, refuse_unsafe_outputs
from .page_hook_base import PageHookBase


@HOOKS.register_module()
class TestPicturesHook(PageHookBase):
    """Writes, when ``draw`` is True, every test page at full resolution
    in the show folder: ``<stem>_pred.png``, ``<stem>_gt.png``,
    ``<stem>_errors.png`` (DIVA layout evaluator's error colour code),
    ``<stem>_overlay.png`` if ``overlay``; and ``legend.png`` once.
    Refused before the first (:meth:`check_outputs`): a show folder that
    is, or lies inside, a folder of the test dataset, and an existing file
    at a picture's name that is not a picture of this package.

    Args:
        draw (bool): Write the pictures. mmseg's ``tools/test.py`` sets it
            with ``--show``/``--show-dir``. Defaults to False (as
            ``SegVisualizationHook``).
        show_dir (str, optional): Folder of the pictures; relative paths
            are taken inside the run's log folder (``work_dir/<timestamp>``).
            Defaults to the visualizer's ``save_dir`` if the config sets it
            (``--show-dir`` does), else ``<log_dir>/colour_vis``.
        overlay (bool): Also write ``<stem>_overlay.png`` (the error map on
            the scan; the coloured prediction on the scan without GT).
        compression (int): PNG compression level of the pictures (0-9).
        show (bool): Accepted for ``tools/test.py --show``; there is no
            window to show into, pictures are written instead.
        wait_time (float): Accepted for ``tools/test.py``; unused.
        **kwargs: ``classes``, ``palette``, ``label_values``, ``error_map``,
            ``backend_args`` (see :class:`PageHookBase`).
    """

    def __init__(self,
                 draw: bool = False,
                 show_dir: Optional[str] = None,
                 overlay: bool = False,
                 compression: int = 3,
                 show: bool = False,
                 wait_time: float = 0.,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.draw = draw
        self.show_dir = show_dir
        self.overlay = overlay
        self.compression = compression
        if show:
            warnings.warn(f'{self.log_name} cannot show windows; with '
                          'show=True it writes the pictures instead.')
            self.draw = True
        self.wait_time = wait_time
        self._out_dir: Optional[Path] = None

    def show_folder(self, cfg, log_dir: Optional[PathLike]
                    ) -> Optional[Path]:
        """The folder of the pictures (see ``show_dir``).

        Args:
            cfg: The run's config (its ``visualizer.save_dir`` is used).
            log_dir: The run's log folder; None before the runner exists.

        Returns:
            Path | None: None where the folder lies in the log folder and
            ``log_dir`` is None (a new folder of the run, checked by the
            hook itself).
        """
        if self.show_dir is not None and osp.isabs(self.show_dir):
            return Path(self.show_dir)
        save_dir = (cfg.get('visualizer') or {}).get('save_dir') \
            if self.show_dir is None else None
        if save_dir:  # mmseg's tools/test.py --show-dir sets this
            return Path(save_dir)
        if log_dir is None:
            return None
        return Path(log_dir) / ('colour_vis' if self.show_dir is None
                                else self.show_dir)

    def _resolve_out_dir(self, runner) -> Path:
        log_dir = getattr(runner, 'log_dir', None) or \
            getattr(runner, 'work_dir', '.')
        return self.show_folder(getattr(runner, 'cfg', None) or {}, log_dir)

    def check_outputs(self, dataset, out_dir: PathLike,
                      input_folders: Folders = ()) -> None:
        """Refuse an unsafe show folder before anything is written (see
        :func:`~.output_check.refuse_unsafe_outputs`).

        Args:
            dataset: The test dataset, built.
            out_dir: The show folder.
            input_folders: More ``(role, folder)`` pairs to refuse.

        Raises:
            OutputIsInputError: Naming the output and the input, or the
                existing file that is no picture of this package.
        """
        kinds = [kind for kind in PICTURE_KINDS
                 if kind != 'overlay' or self.overlay]
        refuse_unsafe_outputs(
            out_dir, dataset,
            lambda pages: [Path(out_dir) / LEGEND] + [
                picture_path(out_dir, Path(page).stem, kind)
                for page in pages for kind in kinds],
            is_picture_file, self.log_name, input_folders)

    def before_test_epoch(self, runner) -> None:
        self._new_epoch('test')
        if not self.draw:
            return
        meta = self._dataset_meta(runner, 'test')
        self._out_dir = self._resolve_out_dir(runner)
        self.check_outputs(self._dataset(runner, 'test'), self._out_dir)
        if get_rank() == 0:
            legend = legend_image(meta['classes'], meta['palette'],
                                  meta['label_values'], title='Classes')
            atomic_write_image(self._out_dir / LEGEND, legend,
                               software=PICTURE_SOFTWARE)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        if not self.draw:
            return
        meta = self._dataset_meta(runner, 'test')
        for index, sample in enumerate(outputs or []):
            self.process_test_sample(runner, sample, meta,
                                     f'page_{batch_idx}_{index}')

    def process_test_sample(self, runner, sample, meta: dict,
                            default_stem: str = 'page') -> List[Path]:
        """Write the pictures of one test page.

        Args:
            runner: The runner (``work_dir``/``log_dir`` and ``cfg`` are
                used to find the output folder).
            sample: A ``SegDataSample`` with ``pred_sem_seg`` and metainfo
                ``img_path``/``seg_map_path``/``ori_shape``.
            meta (dict): See :meth:`_dataset_meta`.
            default_stem (str): File stem when there is no ``img_path``.

        Returns:
            list: The written files.
        """
        img_path = sample.metainfo.get('img_path')
        source = img_path or default_stem
        pred = self._prediction(sample, source)
        if pred is None:
            return []
        ori_shape = sample.metainfo.get('ori_shape')
        wrong_size = ori_shape is not None and \
            tuple(pred.shape) != tuple(ori_shape[:2])
        gt_rgb = None
        seg_map_path = sample.metainfo.get('seg_map_path')
        if not wrong_size and seg_map_path and \
                meta['label_values'] is not None:
            # The error map wants the GT file's boundary bits.
            gt_rgb = self._read_gt_rgb(seg_map_path)
            if gt_rgb is not None and gt_rgb.shape[:2] != pred.shape:
                self._warn(f'{self.log_name}: {seg_map_path}: GT is '
                           f'{gt_rgb.shape[0]}x{gt_rgb.shape[1]} (HxW) but '
                           f'the prediction of {source} is {pred.shape[0]}x'
                           f'{pred.shape[1]}; no GT or error pictures for it')
                gt_rgb = None
        gt = None if wrong_size else self._gt_classes(
            sample, pred, meta, gt_rgb, seg_map_path or source,
            read_file=False)
        scan = None
        if self.overlay and img_path and not wrong_size:
            try:
                scan = decode_rgb(self._read_bytes(img_path), img_path)
            except (OSError, ValueError) as error:
                self._warn(f'{self.log_name}: cannot read scan '
                           f'{img_path}: {error}')
            if scan is not None and scan.shape[:2] != pred.shape:
                self._warn(f'{self.log_name}: {img_path}: scan size '
                           f'{scan.shape[:2]} differs from the prediction '
                           f'{pred.shape}; no overlay')
                scan = None
        pictures = page_pictures(
            pred, meta['palette'], meta['label_values'], gt_rgb=gt_rgb,
            gt_classes=gt, scan=scan, error_map=meta['error_map'],
            overlay=self.overlay, colour_gt=gt is not None, filename=source)
        stem = Path(img_path).stem if img_path else default_stem
        out_dir = self._out_dir or self._resolve_out_dir(runner)
        written = write_page_pictures(out_dir, stem, pictures,
                                      self.compression)
        return list(written.values())

