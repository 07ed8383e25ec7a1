"""ColourVisualizationHook: DeepDIVA-style colour-coded pictures and plots.

Three hooks, one job each, run together under the arguments this hook has
always taken (the shipped configs and ``tools/test.py`` use it as
``default_hooks.visualization``):

* :class:`~.test_pictures_hook.TestPicturesHook`: full-resolution pictures
  of every test page (``draw``, ``show_dir``, ``overlay``, ``error_map``);
* :class:`~.panel_hook.PanelHook`: panels during training and validation
  (``interval``, ``train_interval``, ``panel_max_size``);
* :class:`~.confusion_plots_hook.ConfusionPlotsHook`: the confusion matrix
  and per-class IU chart after validation and testing (``plots``), drawn
  from the ``ConfusionMatrixMetric`` of the evaluator.

Each can also be used alone (in ``custom_hooks``).
"""
from pathlib import Path
from typing import List, Optional, Sequence

from mmengine.hooks import Hook

from mmseg.registry import HOOKS

from .confusion_plots_hook import ConfusionPlotsHook
from .page_hook_base import PageHookBase
from .panel_hook import PanelHook
from .test_pictures_hook import TestPicturesHook


@HOOKS.register_module()
class ColourVisualizationHook(Hook):
    """Colour-coded pictures of predictions, GT and errors, plus plots.

    Usable as ``default_hooks.visualization`` (so ``tools/test.py
    --show-dir DIR`` turns the test pictures on, as with mmseg's
    ``SegVisualizationHook``) or in ``custom_hooks``.

    * Test, when ``draw`` is True, every page at full resolution in the
      show folder: ``<stem>_pred.png``, ``<stem>_gt.png``,
      ``<stem>_errors.png`` (DIVA layout evaluator's error colour code),
      ``<stem>_overlay.png`` if ``overlay``; and ``legend.png`` once. A
      show folder in the dataset's folders, or a file there that is not
      its own picture, is refused before the first (see
      :class:`~.test_pictures_hook.TestPicturesHook`).
    * Training and validation, every ``interval`` iterations: a downscaled
      side-by-side panel (scan, GT, prediction) sent to the visualizer's
      backends (local files, TensorBoard, ...). The scan is the batch's
      input, so a crop (``LoadPageCrop``) shows that crop of the page.
    * After each validation and test (``plots``): a row-normalised
      pixel-level confusion-matrix heatmap and a per-class IU bar chart,
      saved as PNG (and the counts as CSV) in ``<work_dir>/plots`` and sent
      to the backends. The counts are those of the evaluator's
      ``ConfusionMatrixMetric`` (``dict(type='ConfusionMatrixMetric')`` in
      ``val_evaluator`` / ``test_evaluator``; without it a log line says
      so and no plots are drawn).

    Colours come from the dataset's ``palette``; DIVA-HisDB classes (blue
    bit flags) fall back to the fixed HisDB colours.

    Args:
        draw (bool): Write the full-resolution test pictures. mmseg's
            ``tools/test.py`` sets it with ``--show``/``--show-dir``.
            Defaults to False (as ``SegVisualizationHook``).
        interval (int): Validation iterations between panels; 0 disables.
        train_interval (int, optional): Training iterations between panels
            (one extra forward pass on one crop, in eval mode, without
            gradients); 0 disables. Defaults to ``interval``.
        show_dir (str, optional): Folder of the test pictures; relative
            paths are taken inside the run's log folder
            (``work_dir/<timestamp>``). Defaults to the visualizer's
            ``save_dir`` if the config sets it (``--show-dir`` does), else
            ``<log_dir>/colour_vis``.
        overlay (bool): Also write ``<stem>_overlay.png`` (the error map on
            the scan; the coloured prediction on the scan without GT).
        error_map (bool, optional): Write ``<stem>_errors.png``. By default
            only for blue bit-flag encodings (DIVA-HisDB), where the
            evaluator's code means something.
        plots (bool): Draw the confusion matrix and IU plots (from the
            evaluator's ``ConfusionMatrixMetric``).
        panel_max_size (int): Longest side of the panels in pixels.
        classes, palette, label_values (optional): The dataset's class
            names, RGB colours and blue values, overridden (see
            :class:`~.page_hook_base.PageHookBase`).
        compression (int): PNG compression level of the pictures (0-9).
        show (bool): Accepted for ``tools/test.py --show``; there is no
            window to show into, pictures are written instead.
        wait_time (float): Accepted for ``tools/test.py``; unused.
        backend_args (dict, optional): mmengine file backend arguments
            for reading scans and GTs.
    """

    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 train_interval: Optional[int] = None,
                 show_dir: Optional[str] = None,
                 overlay: bool = False,
                 error_map: Optional[bool] = None,
                 plots: bool = True,
                 panel_max_size: int = 1024,
                 classes: Optional[Sequence[str]] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None,
                 label_values: Optional[Sequence[int]] = None,
                 compression: int = 3,
                 show: bool = False,
                 wait_time: float = 0.,
                 backend_args: Optional[dict] = None) -> None:
        common = dict(classes=classes, palette=palette,
                      label_values=label_values, error_map=error_map,
                      backend_args=backend_args)
        self.panels = PanelHook(interval=interval,
                                train_interval=train_interval,
                                panel_max_size=panel_max_size, **common)
        self.pictures = TestPicturesHook(
            draw=draw, show_dir=show_dir, overlay=overlay,
            compression=compression, show=show, wait_time=wait_time,
            **common)
        self.confusion = ConfusionPlotsHook(**common) if plots else None
        self.plots = plots
        # One name and one set of reported problems for the three, so a
        # page's problem that two of them meet is reported once.
        self.log_name = type(self).__name__
        self._warned: set = set()
        self._epoch_messages: set = set()
        for hook in self._hooks():
            hook.share_warnings(self)

    def _hooks(self) -> List[PageHookBase]:
        return [hook for hook in (self.pictures, self.panels, self.confusion)
                if hook is not None]

    @property
    def draw(self) -> bool:
        """Whether the full-resolution test pictures are written."""
        return self.pictures.draw

    @draw.setter
    def draw(self, value: bool) -> None:
        self.pictures.draw = value

    def _resolve_out_dir(self, runner) -> Path:
        return self.pictures._resolve_out_dir(runner)

    def _call(self, name: str, *args, **kwargs) -> None:
        for hook in self._hooks():
            getattr(hook, name)(*args, **kwargs)

    def before_test_epoch(self, runner) -> None:
        self._call('before_test_epoch', runner)

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        self._call('after_test_iter', runner, batch_idx, data_batch, outputs)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._call('after_test_epoch', runner, metrics)

    def before_val_epoch(self, runner) -> None:
        self._call('before_val_epoch', runner)

    def after_val_iter(self, runner, batch_idx: int, data_batch=None,
                       outputs: Optional[Sequence] = None) -> None:
        self._call('after_val_iter', runner, batch_idx, data_batch, outputs)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._call('after_val_epoch', runner, metrics)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        self._call('after_train_iter', runner, batch_idx, data_batch,
                   outputs)
