"""Write test predictions in the GT's own format (blue channel = class)."""
from pathlib import Path
from typing import List, Optional, Sequence

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...utils.gt_format import (check_not_an_input, gt_format_path,
                                write_gt_format_prediction)


@HOOKS.register_module()
class GTFormatPredictionHook(Hook):
    """Save every test prediction as ``<out_dir>/<image stem>.png``.

    The PNG is RGB, the same size as the input page (mmseg's postprocessing
    resizes the prediction back to ``ori_shape``), blue = the class encoding
    (``label_values[class]``, e.g. the HisDB bits), red = green = 0, written
    atomically. ``tools/test.py --out DIR`` adds this hook. An ``out_dir``
    that is the test dataset's image or GT folder, or an output path that is
    a sample's own page or GT file, is refused before anything is written.

    Args:
        out_dir (str): Folder for the PNGs (created if missing).
        label_values (Sequence[int], optional): Blue value of each class.
            Defaults to ``label_values`` of the test dataset's metainfo.
    """

    priority = 'LOW'

    def __init__(self,
                 out_dir: str,
                 label_values: Optional[Sequence[int]] = None) -> None:
        if not out_dir:
            raise ValueError('GTFormatPredictionHook needs an out_dir')
        self.out_dir = Path(out_dir)
        self.label_values = None if label_values is None \
            else [int(v) for v in label_values]
        self._label_values: Optional[List[int]] = self.label_values

    def before_test(self, runner) -> None:
        """Find the class encoding before the first page is segmented."""
        if self.label_values is None:
            metainfo = runner.test_dataloader.dataset.metainfo
            values = metainfo.get('label_values')
            if values is None:
                raise KeyError(
                    'GTFormatPredictionHook: the test dataset metainfo has '
                    'no "label_values" (the blue value of each class), so '
                    'predictions cannot be written in GT format; use a '
                    'dataset that provides it or set label_values on the '
                    'hook')
            self._label_values = [int(v) for v in values]
        self._check_out_dir(runner)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def _check_out_dir(self, runner) -> None:
        """Refuse an ``out_dir`` that is a data folder of the test set."""
        prefix = getattr(runner.test_dataloader.dataset, 'data_prefix',
                         None) or {}
        out_dir = self.out_dir.resolve()
        for key, what in (('seg_map_path', 'GT'), ('img_path', 'image')):
            folder = prefix.get(key)
            if folder and Path(folder).resolve() == out_dir:
                raise ValueError(
                    f'GTFormatPredictionHook: out_dir {self.out_dir} is the '
                    f'test dataset\'s {what} folder; the predictions would '
                    'replace its files. Choose another folder')

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        """Write the prediction of every sample of the batch."""
        if self._label_values is None:
            self.before_test(runner)
        for sample in outputs or ():
            img_path = sample.metainfo.get('img_path')
            if img_path is None:
                raise KeyError(
                    f'GTFormatPredictionHook: test batch {batch_idx} has a '
                    'sample without img_path; the output is named after it')
            out_path = gt_format_path(self.out_dir, img_path)
            check_not_an_input(
                out_path, (img_path, sample.metainfo.get('seg_map_path')))
            classes = sample.pred_sem_seg.data[0].cpu().numpy()
            write_gt_format_prediction(
                out_path, classes.astype('int64', copy=False),
                self._label_values)
