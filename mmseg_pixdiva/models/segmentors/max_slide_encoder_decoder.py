"""EncoderDecoder whose sliding-window inference keeps the maximum logit."""
import math
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList
from torch import Tensor

from ...core.encoding import (HISDB_FOREGROUND_BITS, bits_to_class_table,
                              blue_to_class, check_bits,
                              check_label_values)
from ...evaluation.region_filter import (filter_small_regions,
                                         region_filter_settings)
from ..utils.sliding_window import (MERGE_MODES, batched, default_stride,
                                    extract_windows, finalize_canvas_,
                                    merge_windows_, new_canvas, to_pair,
                                    window_counts, window_grid)

#: Windows per forward pass when ``test_cfg.batch_windows`` is not set, by
#: device type. CPU: 2 keeps the activations of a batch small next to the
#: page canvas (peak about half of mmseg's stock slide inference, which holds
#: two page-sized tensors) at about 10% more time than 4; set
#: ``batch_windows`` for speed when memory is plentiful. The measurements
#: behind this choice are in ``docs/benchmarks.md`` (full-page sliding-window
#: inference). GPU: a GPU needs larger batches to be busy, and 32 windows of
#: 128x128 stay small.
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
      oneDNN's convolutions are much faster that way (see
      ``docs/benchmarks.md``), and leaves GPUs as configured.

    - ``postprocess`` (dict, optional): page-level clean-up of every
      prediction larger than one window (whole pages; validation crops are
      left alone): the keys of
      :func:`~mmseg_pixdiva.evaluation.region_filter.filter_small_regions`
      (``bits``, ``min_area``, ``min_page_pixels``, ``group_distance``),
      applied to the blue values of the predicted classes. Needs
      ``label_values``; ``tools/tune_postprocess.py`` picks the values on
      validation pages.

    A page smaller than the crop (along either axis) is padded with zeros
    (the mean colour after normalisation) to one window, and the padding is
    dropped before merging. Peak memory is about one ``C x H x W`` float32
    canvas per page in the batch plus one batch of windows (plus a
    ``1 x H x W`` count map for ``'mean'``).

    **Per-bit prediction** (``per_bit``): for bit-flag GTs such as
    DIVA-HisDB's, where a pixel can hold several classes (decoration + main
    text = 4 | 8), the decode head (any mmseg head) has one sigmoid output
    per bit (``num_classes=len(bits)``) and is trained with
    :class:`~mmseg_pixdiva.models.losses.PerBitLoss`. Windows are merged per
    bit (the max of the logits is the max of the probabilities); a pixel
    gets every bit whose probability exceeds that bit's threshold, and the
    OR of its bits is mapped back to the dataset's class index, so metrics,
    pictures and the GT-format writer see the same classes as with a
    softmax head. ``seg_logits`` of the results stay the per-bit logits.

    Args:
        label_values (Sequence[int], optional): The dataset's blue values in
            class order; needed by ``per_bit`` and ``test_cfg.postprocess``.
        per_bit (dict, optional): ``bits`` (single-bit blue values, in the
            head's output order; default HisDB's 2, 4, 8) and
            ``thresholds`` (probability per bit, default 0.5 each).
        *args, **kwargs: :class:`mmseg.models.EncoderDecoder` arguments.
    """

    def __init__(self,
                 *args,
                 label_values: Optional[Sequence[int]] = None,
                 per_bit: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.label_values = None if label_values is None else \
            check_label_values(label_values)
        self.per_bit = None
        if per_bit is not None:
            self._init_per_bit(dict(per_bit))
        elif self.label_values is not None and self.out_channels > 1 and \
                self.out_channels != len(self.label_values):
            raise ValueError(
                f'label_values {self.label_values} name '
                f'{len(self.label_values)} classes but the decode head has '
                f'{self.out_channels} outputs')
        if isinstance(self.test_cfg, dict) and \
                not isinstance(self.test_cfg, ConfigDict):
            # A config file gives a ConfigDict; a plain dict (built in
            # code) would break the parent's attribute access `.mode`.
            self.test_cfg = ConfigDict(self.test_cfg)
        if self.test_cfg is not None and \
                self.test_cfg.get('mode', 'whole') == 'slide':
            # Fail at build time, not after the first page.
            self._slide_settings()
        if self.test_cfg is not None:
            self._postprocess_settings()

    def _init_per_bit(self, per_bit: dict) -> None:
        """Validate ``per_bit`` and build the bits -> class table."""
        unknown = set(per_bit) - {'bits', 'thresholds'}
        if unknown:
            raise ValueError(f'per_bit: unknown keys {sorted(unknown)} '
                             "(known: 'bits', 'thresholds')")
        if self.label_values is None:
            raise ValueError(
                "per_bit needs the segmentor's label_values (the dataset's "
                'blue values in class order) to map bits back to classes')
        bits = check_bits(per_bit.get('bits', HISDB_FOREGROUND_BITS))
        thresholds = per_bit.get('thresholds')
        if thresholds is None:
            thresholds = [0.5] * len(bits)
        if len(thresholds) != len(bits) or not all(
                0 < float(t) < 1 for t in thresholds):
            raise ValueError(f'per_bit.thresholds must hold one probability '
                             f'in (0, 1) per bit {bits}, got {thresholds}')
        if self.out_channels != len(bits):
            raise ValueError(
                f'per_bit predicts {len(bits)} bits {bits} but the decode '
                f'head has {self.out_channels} outputs: set its '
                f'num_classes={len(bits)}')
        table = bits_to_class_table(self.label_values, bits)
        self.register_buffer('_bits_to_class', torch.from_numpy(table),
                             persistent=False)
        # Thresholds on the logits: sigmoid(x) > t  <=>  x > logit(t), so
        # the page-sized logits never go through a sigmoid.
        logit = [math.log(float(t) / (1 - float(t))) for t in thresholds]
        self.register_buffer('_bit_logit_thresholds',
                             torch.tensor(logit, dtype=torch.float32),
                             persistent=False)
        self.per_bit = dict(bits=bits,
                            thresholds=[float(t) for t in thresholds])

    def _postprocess_settings(self) -> Optional[dict]:
        """Validated ``test_cfg.postprocess``, or None."""
        cfg = self.test_cfg.get('postprocess') if self.test_cfg else None
        if cfg is None:
            return None
        if self.label_values is None:
            raise ValueError(
                "test_cfg.postprocess needs the segmentor's label_values "
                "(the dataset's blue values in class order)")
        try:
            return region_filter_settings(**cfg)
        except TypeError as error:
            raise ValueError(f'test_cfg.postprocess: {error}') from None

    @property
    def num_output_classes(self) -> int:
        """Classes of the predictions: the head's outputs, or with
        ``per_bit`` the classes of ``label_values`` they decode to."""
        if self.per_bit is not None:
            return len(self.label_values)
        return self.out_channels

    def logits_to_classes(self, logits: Tensor) -> Tensor:
        """Class indices of ``N x C x H x W`` logits (``N x H x W`` long).

        The argmax for a softmax head; with ``per_bit``, the OR of the bits
        over their thresholds, as a class index.
        """
        if self.per_bit is None:
            return logits.argmax(dim=1)
        thresholds = self._bit_logit_thresholds.to(logits.device)
        combo = torch.zeros(logits.shape[:1] + logits.shape[2:],
                            dtype=torch.long, device=logits.device)
        for index in range(logits.shape[1]):
            combo |= (logits[:, index] > thresholds[index]).long() << index
        return self._bits_to_class.to(logits.device)[combo]

    def postprocess_result(self,
                           seg_logits: Tensor,
                           data_samples: OptSampleList = None) -> SampleList:
        """mmseg's results, with per-bit decoding and the page clean-up.

        The parent removes padding, undoes flips and resizes to the original
        shape; its argmax is then replaced by :meth:`logits_to_classes`
        (``per_bit``) and ``test_cfg.postprocess`` is applied to pages.
        """
        data_samples = super().postprocess_result(seg_logits, data_samples)
        postprocess = self._postprocess_settings()
        if self.per_bit is None and postprocess is None:
            return data_samples
        window = None
        if self.test_cfg.get('mode', 'whole') == 'slide':
            window = self._slide_settings()['crop_size']
        for sample in data_samples:
            classes = sample.pred_sem_seg.data
            if self.per_bit is not None:
                logits = sample.seg_logits.data
                if logits.shape[0] == 1:
                    # The parent has turned a single output into a
                    # probability; undo it to threshold the logit.
                    logits = torch.logit(logits.clamp(1e-7, 1 - 1e-7))
                classes = self.logits_to_classes(logits[None])
            height, width = classes.shape[-2:]
            if postprocess is not None and (
                    window is None or height > window[0]
                    or width > window[1]):
                classes = self._filter_page(classes, postprocess)
            sample.set_data(dict(pred_sem_seg=PixelData(data=classes)))
        return data_samples

    def _filter_page(self, classes: Tensor, settings: dict) -> Tensor:
        """``test_cfg.postprocess`` on a ``1 x H x W`` class map."""
        values = np.asarray(self.label_values, dtype=np.uint8)
        blue = values[classes[0].cpu().numpy()]
        filtered = filter_small_regions(blue, **settings,
                                        background_value=int(values[0]))
        out = blue_to_class(filtered, self.label_values)
        return torch.from_numpy(out.astype(np.int64))[None].to(classes.device)

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
