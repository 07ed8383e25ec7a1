"""EncoderDecoder whose sliding-window inference keeps the maximum logit."""
from typing import List

import torch
from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from torch import Tensor

from ..utils.sliding_window import (MERGE_MODES, batched, default_stride,
                                    extract_windows, finalize_canvas_,
                                    merge_windows_, new_canvas, to_pair,
                                    window_counts, window_grid)

#: Windows per forward pass when ``test_cfg.batch_windows`` is not set, by
#: device type. CPU: measured with the tiny UNet of
#: ``benchmarks/bench_max_slide.py`` (128x128 channels-last windows, 2
#: cores, 2048x2048 region): 1, 2 and 4 windows per pass took 4.7, 3.7 and
#: 3.3 s, and the model's activations peak at about 3.4 MiB per window
#: (13.5 MiB for 4: conv, batch-norm and concatenation outputs of the
#: full-resolution decoder, profiled).
#: 2 keeps the batch small next to the canvas (peak about half of mmseg's
#: stock slide inference, which holds two page-sized tensors), at ~10% more
#: time than 4; set ``batch_windows`` for speed when memory is plentiful.
#: GPU: not measured (no GPU on the development machine); a GPU needs larger
#: batches to be busy, and 32 windows of 128x128 stay small.
DEFAULT_BATCH_WINDOWS = dict(cpu=2, cuda=32)


def default_batch_windows(device: torch.device) -> int:
    """Default windows per forward pass on ``device`` (see the table)."""
    return DEFAULT_BATCH_WINDOWS.get(device.type, DEFAULT_BATCH_WINDOWS['cpu'])


@MODELS.register_module()
class MaxSlideEncoderDecoder(EncoderDecoder):
    """mmseg's :class:`EncoderDecoder` with DeepDIVA's full-page inference.

    Training, ``mode='whole'`` and every backbone, head and checkpoint are
    the parent's. Only :meth:`slide_inference` changes: windows run in
    batches and are merged in place into one float32 canvas per page, keeping
    for every pixel and class the **maximum** raw logit (before softmax) over
    the windows that cover it (``merge='max'``, DeepDIVA), or their mean
    (``merge='mean'``, the same result as mmseg's own slide inference without
    its page-sized temporary per window, for pages at least one window in
    size: a smaller page is padded to a full window here, while mmseg runs
    the model on the short window itself).

    ``test_cfg`` keys (besides the parent's):

    - ``mode`` (str): ``'slide'`` for this inference, ``'whole'`` for the
      parent's.
    - ``crop_size`` (tuple[int, int]): ``(h, w)`` of a window, normally the
      training crop.
    - ``stride`` (tuple[int, int], optional): ``(sh, sw)``; ``None`` (the
      default) is half the crop, i.e. 50% overlap.
    - ``merge`` (str): ``'max'`` (default) or ``'mean'``.
    - ``batch_windows`` (int, optional): windows per forward pass; ``None``
      (default) picks :data:`DEFAULT_BATCH_WINDOWS` for the input's device
      (2 on CPU, 32 on CUDA).
    - ``accumulate_on_cpu`` (bool): keep the canvas in CPU memory even when
      the model runs on a GPU (for pages whose canvas does not fit the
      GPU). Default False: the canvas lives on the model's device.
    - ``channels_last`` (bool, optional): run the windows in channels-last
      memory format. ``None`` (default) turns it on for CPU inputs, where
      oneDNN's convolutions are much faster that way (the tiny UNet of
      ``benchmarks/bench_max_slide.py``: 3.0 instead of 7.7 ms per 128 px
      window on 2 cores), and leaves GPUs as configured.

    A page smaller than the crop (along either axis) is padded with zeros
    (the mean colour after normalisation) to one window, and the padding is
    dropped before merging. Peak memory is about one ``C x H x W`` float32
    canvas per page in the batch plus one batch of windows (plus a
    ``1 x H x W`` count map for ``'mean'``).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if isinstance(self.test_cfg, dict) and \
                not isinstance(self.test_cfg, ConfigDict):
            # A config file gives a ConfigDict; a plain dict (built in
            # code) would break the parent's attribute access `.mode`.
            self.test_cfg = ConfigDict(self.test_cfg)
        if self.test_cfg is not None and \
                self.test_cfg.get('mode', 'whole') == 'slide':
            # Fail at build time, not after the first page.
            self._slide_settings()

    def _slide_settings(self) -> dict:
        """Validated slide settings from ``test_cfg``."""
        cfg = self.test_cfg
        if cfg.get('crop_size') is None:
            raise ValueError("test_cfg.mode='slide' needs test_cfg.crop_size")
        crop_size = to_pair(cfg['crop_size'], 'test_cfg.crop_size')
        stride = cfg.get('stride')
        stride = default_stride(crop_size) if stride is None \
            else to_pair(stride, 'test_cfg.stride')
        if stride[0] > crop_size[0] or stride[1] > crop_size[1]:
            raise ValueError(f'test_cfg.stride {stride} is larger than '
                             f'test_cfg.crop_size {crop_size}: pixels between '
                             'windows would not be covered')
        merge = cfg.get('merge', 'max')
        if merge not in MERGE_MODES:
            raise ValueError(f'test_cfg.merge must be one of {MERGE_MODES}, '
                             f'got {merge!r}')
        batch_windows = cfg.get('batch_windows')
        if batch_windows is not None and (
                not isinstance(batch_windows, int) or batch_windows < 1):
            raise ValueError('test_cfg.batch_windows must be a positive int, '
                             f'got {batch_windows!r}')
        return dict(
            crop_size=crop_size,
            stride=stride,
            merge=merge,
            batch_windows=batch_windows,
            accumulate_on_cpu=bool(cfg.get('accumulate_on_cpu', False)),
            channels_last=cfg.get('channels_last', None))

    def slide_inference(self, inputs: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Sliding-window inference merged in place.

        Keeps mmseg's contract: the logits have the size of ``inputs`` (the
        padded batch); ``postprocess_result`` then removes the batch padding
        and resizes to ``ori_shape`` from the image metas as usual.

        Args:
            inputs (Tensor): ``N x 3 x H x W`` normalised images.
            batch_img_metas (list[dict]): One meta dict per image.

        Returns:
            Tensor: ``N x C x H x W`` float32 logits (``max`` or ``mean`` of
            the windows' raw logits), on the model's device, or on the CPU
            with ``accumulate_on_cpu``.
        """
        settings = self._slide_settings()
        crop_size, merge = settings['crop_size'], settings['merge']
        batch_size, _, height, width = inputs.shape
        device = torch.device('cpu') if settings['accumulate_on_cpu'] \
            else inputs.device
        windows = window_grid(height, width, crop_size, settings['stride'])
        batch_windows = settings['batch_windows'] or \
            default_batch_windows(inputs.device)
        channels_last = settings['channels_last']
        if channels_last is None:
            channels_last = inputs.device.type == 'cpu'
        canvas = new_canvas((batch_size, self.out_channels, height, width),
                            merge, device)
        for index in range(batch_size):
            # The head resizes its output to `img_shape` when it is a
            # torch.Size (how mmseg marks slide windows); copy, don't mutate.
            window_meta = dict(batch_img_metas[index],
                               img_shape=torch.Size(crop_size))
            for batch in batched(windows, batch_windows):
                crops = extract_windows(inputs[index], batch, crop_size)
                if channels_last:
                    crops = crops.contiguous(
                        memory_format=torch.channels_last)
                logits = self.encode_decode(crops, [window_meta] * len(batch))
                # The canvas is contiguous (C, H, W); merging channels-last
                # logits into it would walk both with mismatched strides.
                merge_windows_(canvas[index],
                               logits.to(device).contiguous(), batch, merge)
                del crops, logits  # free before the next batch is made
        if merge == 'mean':
            finalize_canvas_(canvas, merge,
                             window_counts(windows, height, width, device))
        return canvas
