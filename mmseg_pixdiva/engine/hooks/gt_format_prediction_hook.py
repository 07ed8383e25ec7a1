"""Write test predictions in the GT's own format (blue channel = class)."""
from pathlib import Path
from typing import List, Optional, Sequence

from mmengine.hooks import Hook
from mmseg.registry import HOOKS

from ...utils.gt_format import (check_not_an_input, gt_format_path,
                                is_prediction_file,
                                write_gt_format_prediction)
from .output_check import Folders, refuse_unsafe_outputs


@HOOKS.register_module()
class GTFormatPredictionHook(Hook):
    """Save every test prediction as ``<out_dir>/<image stem>.png``.

    The PNG is RGB, the same size as the input page (mmseg's postprocessing
    resizes the prediction back to ``ori_shape``), blue = the class encoding
    (``label_values[class]``, e.g. the HisDB bits), red = green = 0, written
    atomically, marked as the package's own (a ``Software`` text).
    ``tools/test.py --out DIR`` adds this hook. Refused before the first
    page (:meth:`check_outputs`): an ``out_dir`` that is, or lies inside, a
    folder of the test dataset, and an existing file at an output's name
    that is not such a prediction.

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
        self.check_outputs(runner.test_dataloader.dataset)
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def check_outputs(self, dataset, input_folders: Folders = ()) -> None:
        """Refuse an unsafe ``out_dir`` before anything is written (see
        :func:`~.output_check.refuse_unsafe_outputs`).

        Args:
            dataset: The test dataset, built.
            input_folders: More ``(role, folder)`` pairs to refuse.

        Raises:
            OutputIsInputError: Naming the output and the input, or the
                existing file that is no prediction of this package.
        """
        refuse_unsafe_outputs(
            self.out_dir, dataset,
            lambda pages: [gt_format_path(self.out_dir, p) for p in pages],
            is_prediction_file, type(self).__name__, input_folders)

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
