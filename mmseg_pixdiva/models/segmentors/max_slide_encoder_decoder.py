"""EncoderDecoder whose sliding-window inference keeps the maximum logit."""
import contextlib
import math
from typing import Iterator, List, Optional, Sequence, Tuple

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
from ..utils.band_merge import merge_in_bands
from ..utils.sliding_window import (MERGE_MODES, Window, batched,
                                    default_stride, extract_windows,
                                    finalize_canvas_, merge_windows_,
                                    new_canvas, to_pair, window_counts,
                                    window_grid)

#: Windows per forward pass when ``test_cfg.batch_windows`` is not set, by
#: device type. CPU: 2 keeps the activations of a batch small next to the
#: page canvas (peak about half of mmseg's stock slide inference, which holds
#: two page-sized tensors) at about 10% more time than 4; set
#: ``batch_windows`` for speed when memory is plentiful. The measurements
#: behind this choice are in ``docs/benchmarks.md`` (full-page sliding-window
#: inference). GPU: a GPU needs larger batches to be busy, and 32 windows of
#: 128x128 stay small.
DEFAULT_BATCH_WINDOWS = dict(cpu=2, cuda=32)


#: ``test_cfg.precision`` values: the dtype windows run in under autocast
#: (``'float32'``: no autocast). Logits are merged in float32 either way.
PRECISIONS = dict(float32=None, bfloat16=torch.bfloat16,
                  float16=torch.float16)


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
    - ``precision`` (str): ``'float32'`` (default), or ``'bfloat16'`` /
      ``'float16'`` to run the windows under :func:`torch.autocast` on the
      input's device (faster on GPUs with tensor cores; predictions may
      differ from float32 on a few pixels, measured in
      ``docs/benchmarks.md``). Window logits are merged in float32.

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

    :meth:`stream_page` is the same inference for one page given as its
    decoded ``uint8`` image, band by band (:mod:`..utils.band_merge`): its
    class indices equal those of :meth:`predict` exactly, while only about
    one window height of the canvas and no float copy of the page exist at
    a time (``tools/infer.py`` uses it).

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
        for sample in data_samples:
            classes = sample.pred_sem_seg.data
            if self.per_bit is not None:
                logits = sample.seg_logits.data
                if logits.shape[0] == 1:
                    # The parent has turned a single output into a
                    # probability; undo it to threshold the logit.
                    logits = torch.logit(logits.clamp(1e-7, 1 - 1e-7))
                classes = self.logits_to_classes(logits[None])
            if postprocess is not None and \
                    self._is_page(*classes.shape[-2:]):
                classes = self._filter_page(classes, postprocess)
            sample.set_data(dict(pred_sem_seg=PixelData(data=classes)))
        return data_samples

    def _is_page(self, height: int, width: int) -> bool:
        """Whether a prediction of this size is a page, which
        ``test_cfg.postprocess`` cleans, rather than a window-sized
        validation crop, which it leaves alone."""
        if self.test_cfg.get('mode', 'whole') != 'slide':
            return True
        window = self._slide_settings()['crop_size']
        return height > window[0] or width > window[1]

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
        precision = cfg.get('precision', 'float32')
        if precision not in PRECISIONS:
            raise ValueError(f'test_cfg.precision must be one of '
                             f'{tuple(PRECISIONS)}, got {precision!r}')
        return dict(
            crop_size=crop_size,
            stride=stride,
            merge=merge,
            batch_windows=batch_windows,
            accumulate_on_cpu=bool(cfg.get('accumulate_on_cpu', False)),
            channels_last=cfg.get('channels_last', None),
            precision=precision)

    def _window_logits(self, crops: Tensor, crop_size: Tuple[int, int],
                       settings: dict) -> Tensor:
        """Float32 logits of a batch of normalised windows (``B x 3 x h x
        w``), in the memory format and precision of ``settings``."""
        channels_last = settings['channels_last']
        if channels_last is None:
            channels_last = crops.device.type == 'cpu'
        if channels_last:
            crops = crops.contiguous(memory_format=torch.channels_last)
        # The head resizes its output to `img_shape` when it is a
        # torch.Size (how mmseg marks slide windows).
        metas = [dict(img_shape=torch.Size(crop_size))] * len(crops)
        dtype = PRECISIONS[settings['precision']]
        autocast = contextlib.nullcontext() if dtype is None else \
            torch.autocast(crops.device.type, dtype=dtype)
        with autocast:
            logits = self.encode_decode(crops, metas)
        # The canvas is contiguous (C, H, W) float32; merging channels-last
        # logits into it would walk both with mismatched strides.
        return logits.float().contiguous()

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
        canvas = new_canvas((batch_size, self.out_channels, height, width),
                            merge, device)
        for index in range(batch_size):
            for batch in batched(windows, batch_windows):
                crops = extract_windows(inputs[index], batch, crop_size)
                logits = self._window_logits(crops, crop_size, settings)
                merge_windows_(canvas[index], logits.to(device), batch, merge)
                del crops, logits  # free before the next batch is made
        if merge == 'mean':
            finalize_canvas_(canvas, merge,
                             window_counts(windows, height, width, device))
        return canvas

    def stream_unsupported(self) -> Optional[str]:
        """Why :meth:`stream_page` cannot replace :meth:`predict` for this
        model, or None if it can."""
        if self.test_cfg is None or \
                self.test_cfg.get('mode', 'whole') != 'slide':
            return "test_cfg.mode is not 'slide'"
        if getattr(self.data_preprocessor, 'test_cfg', None):
            return 'the data preprocessor pads test inputs (its test_cfg)'
        return None

    @property
    def needs_whole_page(self) -> bool:
        """Whether the class map of a page is changed as a whole after
        merging (``test_cfg.postprocess``): the bands of
        :meth:`stream_page` must then be joined and passed to
        :meth:`postprocess_page`."""
        return self._postprocess_settings() is not None

    def postprocess_page(self, classes: Tensor) -> Tensor:
        """``test_cfg.postprocess`` on a page's ``H x W`` class indices
        joined from :meth:`stream_page` (what :meth:`postprocess_result`
        does to a page larger than one window)."""
        settings = self._postprocess_settings()
        if settings is None or not self._is_page(*classes.shape):
            return classes
        return self._filter_page(classes[None], settings)[0]

    def band_classes(self, logits: Tensor) -> Tensor:
        """Class indices (``h x W`` long) of merged ``C x h x W`` logits,
        by the rule of :meth:`postprocess_result`: per-bit thresholds, the
        argmax, or for a single output its sigmoid over the head's
        threshold."""
        if self.per_bit is not None or logits.shape[0] > 1:
            return self.logits_to_classes(logits[None])[0]
        return (logits[0].sigmoid() > self.decode_head.threshold).long()

    def stream_page(self, image: np.ndarray) -> Iterator[Tuple[int, Tensor]]:
        """Segment one decoded page band by band, top to bottom.

        The windows, their batches and their merge are those of
        :meth:`slide_inference`; the windows of a batch are normalised by
        the model's data preprocessor, which gives the same numbers as the
        normalised page (the preprocessor works pixel by pixel). So the
        class indices equal :meth:`predict`'s on the packed page exactly
        (without ``test_cfg.postprocess``: see :attr:`needs_whole_page`).

        Args:
            image (np.ndarray): ``H x W x 3`` uint8 page as the test
                pipeline loads it (channel order as the data preprocessor
                expects; it swaps BGR to RGB if configured).

        Yields:
            tuple[int, Tensor]: ``(top, classes)``: the band's first row and
            its ``rows x W`` class indices (int64, CPU). The bands cover
            the page without gaps.

        Raises:
            ValueError: If :meth:`stream_unsupported` gives a reason.
        """
        reason = self.stream_unsupported()
        if reason is not None:
            raise ValueError(f'cannot stream this model\'s inference: '
                             f'{reason}')
        if image.ndim != 3 or image.dtype != np.uint8:
            raise ValueError(f'expected an H x W x C uint8 page, got '
                             f'{image.dtype} {image.shape}')
        settings = self._slide_settings()
        crop_size, merge = settings['crop_size'], settings['merge']
        height, width = image.shape[:2]
        device = next(self.parameters()).device
        band_device = torch.device('cpu') if settings['accumulate_on_cpu'] \
            else device
        windows = window_grid(height, width, crop_size, settings['stride'])
        batch_windows = settings['batch_windows'] or \
            default_batch_windows(device)
        # The uint8 page goes to the model's device once (a twelfth of the
        # float page the canvas path normalises there); windows are cut
        # from it on the device.
        page = torch.from_numpy(image).to(device)

        def logits_of(batch: Sequence[Window]) -> Tensor:
            crops = torch.stack([page[w.top:w.bottom, w.left:w.right]
                                 for w in batch])  # B x h x w x C
            count, rows, cols, channels = crops.shape
            # One call of the data preprocessor for the whole batch: the
            # windows stacked into one tall C x (B*h) x w image. It works
            # pixel by pixel (channel order, float, mean, std), so each
            # window gets the numbers it has in the normalised page.
            tall = crops.permute(3, 0, 1, 2).reshape(channels, count * rows,
                                                     cols)
            tall = self.data_preprocessor(dict(inputs=[tall]),
                                          False)['inputs'][0]
            crops = tall.view(-1, count, rows, cols).transpose(0, 1)
            pad_h, pad_w = crop_size[0] - rows, crop_size[1] - cols
            if pad_h or pad_w:
                # Only on a page smaller than the crop, as extract_windows:
                # zeros (the mean colour) at the bottom and right.
                crops = torch.nn.functional.pad(crops, (0, pad_w, 0, pad_h))
            return self._window_logits(crops.contiguous(), crop_size,
                                       settings).to(band_device)

        for top, logits in merge_in_bands(windows, height, width,
                                          self.out_channels, logits_of,
                                          batch_windows, merge, band_device):
            yield top, self.band_classes(logits).cpu()
