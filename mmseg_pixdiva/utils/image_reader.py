"""The one reader of page files: scans, GTs and predictions as arrays.

Every module that decodes a page file outside mmcv's training pipeline
calls this one: the evaluator (:mod:`mmseg_pixdiva.evaluation.layout_io`),
the dataset statistics, the GT value scan, the pictures and the tools. The
rules, the same everywhere:

* **Scans** are turned by their EXIF orientation and come back as ``HxWx3``
  uint8 RGB, as the training pipeline reads them (mmcv's
  ``LoadImageFromFile`` decodes with OpenCV in colour mode, which applies
  the orientation). Java's ImageIO, and so the Java evaluator, ignores it.
* **GTs and predictions** are label images: read unchanged, never turned
  (OpenCV's ``IMREAD_UNCHANGED``). Two levels of what is accepted:

  - :func:`label_to_rgb` (:func:`read_label_rgb`, :func:`decode_label_rgb`),
    what the datasets and the pictures accept: 8-bit grey (grey value =
    blue value), RGB, or RGBA whose pixels are all opaque;
  - :func:`read_label_image` (:func:`read_label_pair`), what the DIVA
    evaluator accepts, with its header checks before decoding: the same,
    plus palette PNGs and 16-bit files whose values are exact 8-bit
    values; JPEG and sub-byte grey are refused.
* **Shapes** are ``(H, W)`` in code, numpy's order; messages say ``WxH``,
  the order of the file formats and of the Java tool's messages.
* **Errors** are :class:`ImageInputError` (an ``InputError`` and a
  ``ValueError``) or one of its subclasses, and name the file.

OpenCV is imported inside the functions: importing this module (and the
evaluator CLI that uses it) stays cheap.
"""
import os
from typing import Callable, Optional, Sequence, Tuple, Union

import numpy as np

from .image_header import (ImageHeader, ImageInputError,
                           jpeg_file_is_complete, png_header_size,
                           read_image_header, read_size_header)

PathLike = Union[str, os.PathLike]

#: The most pixels OpenCV decodes (its CV_IO_MAX_IMAGE_PIXELS default).
MAX_DECODED_PIXELS = 1 << 30

#: OpenCV's decode-time reductions; JPEG decodes much faster reduced.
_REDUCTIONS = (8, 4, 2)


def _check_decodable_size(path: str, width: int, height: int,
                          error: Optional[type] = None) -> None:
    """Refuse, before decoding, a header claiming more pixels than OpenCV
    decodes (a corrupt file, not a page), with ``error`` (by default
    :class:`ImageInputError`)."""
    if width * height > MAX_DECODED_PIXELS:
        raise (error or ImageInputError)(
            f'{path}: the header says {width}x{height} (WxH) pixels, more '
            f'than the {MAX_DECODED_PIXELS} an image may have here; the '
            'file is corrupt or not a page')


class LabelImageError(ImageInputError):
    """A GT or prediction file cannot hold exact class labels (the
    datasets know it as ``InvalidGTError``)."""


class ImageSizeError(ImageInputError):
    """Two images that must be of one size (a prediction and its GT or
    scan, a scan and its GT) are not."""


def check_same_shape(path: PathLike, shape: Sequence[int],
                     reference: str, reference_shape: Sequence[int],
                     remedy: str, what: str = 'size') -> None:
    """Raise :class:`ImageSizeError` if ``path``'s shape is not the
    reference's.

    Args:
        path: The file (or page) at fault, named first in the message.
        shape (Sequence[int]): Its ``(H, W, ...)``.
        reference (str): What it is compared with, e.g. ``'the GT x.png'``.
        reference_shape (Sequence[int]): That one's ``(H, W, ...)``.
        remedy (str): Ends the message (what must hold).
        what (str): Says what ``shape`` is, e.g. ``'original page size'``.

    Raises:
        ImageSizeError: ``<path>: <what> WxH differs from <reference>
        (WxH, WxH); <remedy>``.
    """
    height, width = shape[:2]
    ref_height, ref_width = reference_shape[:2]
    if (height, width) != (ref_height, ref_width):
        raise ImageSizeError(
            f'{path}: {what} {width}x{height} differs from {reference} '
            f'({ref_width}x{ref_height}, WxH); {remedy}')


# ---------------------------------------------------------------- labels --

def label_to_rgb(decoded: Optional[np.ndarray], source: str = 'GT',
                 channel_order: str = 'bgr') -> np.ndarray:
    """Turn a decoded label image (as OpenCV/mmcv return it) into RGB.

    Args:
        decoded (np.ndarray, optional): ``HxW`` (grey: the value is the
            blue class encoding), ``HxWx3`` or ``HxWx4`` uint8; None when
            the decoder failed.
        source (str): Named in errors (the file).
        channel_order (str): ``'bgr'`` (OpenCV, mmcv) or ``'rgb'``.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB (may be a view of ``decoded``).

    Raises:
        LabelImageError: For an undecodable file, non-8-bit data, an
            unexpected channel count or a non-opaque alpha channel (its
            colours would be ambiguous).
    """
    if decoded is None:
        raise LabelImageError(f'{source}: could not be decoded as an image')
    if decoded.dtype != np.uint8:
        raise LabelImageError(
            f'{source}: GT has {decoded.dtype} pixels; expected 8-bit RGB '
            '(class in the blue channel)')
    if decoded.ndim == 2:
        rgb = np.zeros(decoded.shape + (3, ), dtype=np.uint8)
        rgb[..., 2] = decoded
        return rgb
    if decoded.ndim != 3 or decoded.shape[2] not in (3, 4):
        raise LabelImageError(f'{source}: GT has shape {decoded.shape}; '
                              'expected an RGB image')
    if decoded.shape[2] == 4:
        alpha = decoded[..., 3]
        if alpha.min() != 255:
            raise LabelImageError(
                f'{source}: GT has a transparent alpha channel '
                f'({int((alpha != 255).sum())} pixels not opaque); save it '
                'as plain RGB')
        decoded = decoded[..., :3]
    return decoded[..., ::-1] if channel_order == 'bgr' else decoded


def decode_label_rgb(data: bytes, source: str,
                     role: str = 'image') -> np.ndarray:
    """Decode a GT or prediction from its bytes as ``HxWx3`` uint8 RGB.

    Args:
        data (bytes): The encoded file (from any mmengine file backend).
        source (str): The file, named in errors.
        role (str): What the file is, named when it cannot be decoded.

    Raises:
        LabelImageError: As :func:`label_to_rgb`.
    """
    import cv2
    decoded = _decode_label(
        source, data[:24],
        lambda: cv2.imdecode(np.frombuffer(data, np.uint8),
                             cv2.IMREAD_UNCHANGED)) if data else None
    if decoded is None:
        raise LabelImageError(f'{source}: cannot read the {role} (missing '
                              'file or not an image)')
    return label_to_rgb(decoded, source)


def _decode_label(source: str, head: bytes,
                  decode: Callable[[], Optional[np.ndarray]]
                  ) -> Optional[np.ndarray]:
    """``decode()``, or None where OpenCV fails; a PNG whose header claims
    more pixels than OpenCV decodes is refused first, by name (OpenCV would
    raise its own assertion text)."""
    import cv2
    size = png_header_size(head)
    if size is not None:
        _check_decodable_size(source, *size, error=LabelImageError)
    try:
        return decode()
    except cv2.error:
        return None


def read_label_rgb(path: PathLike, role: str = 'GT') -> np.ndarray:
    """Read a GT or prediction file as ``HxWx3`` uint8 RGB.

    Args:
        path: The file.
        role (str): What the file is, named when it cannot be read.

    Raises:
        LabelImageError: As :func:`label_to_rgb`; a missing file too.
    """
    import cv2
    try:
        with open(path, 'rb') as f:
            head = f.read(24)
    except OSError:
        head = b''  # OpenCV fails below, and the message says so
    decoded = _decode_label(
        str(path), head, lambda: cv2.imread(str(path), cv2.IMREAD_UNCHANGED))
    if decoded is None:
        raise LabelImageError(f'{path}: cannot read the {role} (missing '
                              'file or not an image)')
    return label_to_rgb(decoded, str(path))


def check_label_header(header: ImageHeader, role: str) -> None:
    """Refuse label files whose format would change their values.

    Args:
        header (ImageHeader): From :func:`read_image_header`.
        role (str): ``'GT'`` or ``'prediction'`` (named in messages).

    Raises:
        ImageInputError: For JPEG, unknown formats, truncated PNGs, PNGs
            claiming more pixels than OpenCV decodes and sub-byte grey PNGs.
    """
    path = header.path
    if header.format == 'JPEG':
        raise ImageInputError(
            f'{path}: the {role} is a JPEG; lossy compression changes label '
            f'values (blue bits), so it cannot be scored. Save {role}s as '
            f'PNG.')
    if header.format == 'other':
        raise ImageInputError(
            f'{path}: the {role} is not a PNG, BMP or TIFF image (unknown or '
            f'lossy format); save {role}s as PNG.')
    if header.format == 'PNG':
        if not header.complete:
            raise ImageInputError(
                f'{path}: truncated PNG (its end, the IEND chunk, is '
                'missing)')
        if header.width == 0 or header.height == 0:
            raise ImageInputError(f'{path}: empty image '
                                  f'({header.width}x{header.height})')
        _check_decodable_size(path, header.width, header.height)
        if header.colour_type in ('grey', 'grey+alpha') \
                and header.bit_depth < 8:
            raise ImageInputError(
                f'{path}: {header.bit_depth}-bit grey PNG; decoders scale '
                f'its values to 0..255, which is not a label encoding. Save '
                f'8-bit grey (grey value = blue value) or RGB.')


def _sentinel(shape: Tuple[int, ...]) -> np.ndarray:
    """A fixed pseudo-random pattern that no real image row matches."""
    return np.random.default_rng(0x5EED).integers(
        0, 256, size=shape, dtype=np.uint8)


def _decode_label_file(path: str, header: ImageHeader,
                       flags: int) -> np.ndarray:
    import cv2  # lazy: keeps the module (and the CLI start) light
    _check_decodable_size(path, header.width, header.height)
    dst = None
    if header.format == 'PNG' and header.bit_depth == 8 and \
            header.colour_type in ('RGB', 'grey') and not header.interlaced:
        # Decode straight into our array; cv2.imread would otherwise copy
        # its own result into a new numpy array (a second full page).
        shape = (header.height, header.width, 3) \
            if header.colour_type == 'RGB' else (header.height, header.width)
        dst = np.empty(shape, np.uint8)
        # With a destination, OpenCV returns it even when decoding fails
        # half-way (truncated / corrupt file). Rows are written top to
        # bottom, so a last row still holding this pattern means failure.
        sentinel = _sentinel(dst.shape[1:])
        dst[-1] = sentinel
    try:
        image = cv2.imread(path, dst, flags) if dst is not None \
            else cv2.imread(path, flags)
    except cv2.error:
        # OpenCV's own text (an assertion in its source) tells the user
        # nothing about the file.
        raise ImageInputError(
            f'{path}: cannot decode image (corrupt or unsupported '
            'file)') from None
    failed = image is None or image.size == 0 or (
        dst is not None and image is dst
        and np.array_equal(image[-1], sentinel))
    if failed:
        raise ImageInputError(
            f'{path}: cannot decode image (corrupt or truncated file)')
    return image


def read_label_image(path: PathLike, role: str = 'prediction',
                     header: Optional[ImageHeader] = None) -> np.ndarray:
    """Read a GT or prediction as the Java evaluator would see its labels.

    Args:
        path: Image file.
        role (str): ``'GT'`` or ``'prediction'`` (named in messages).
        header (ImageHeader, optional): Already read header.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB (a view on OpenCV's BGR buffer, so
        ``image[..., ::-1]`` is the contiguous BGR buffer), or ``HxW`` uint8
        for a grey image (grey value = blue value).

    Raises:
        ImageInputError: Naming the file, for unreadable / corrupt files,
            lossy formats, transparency, 16-bit values that do not convert
            exactly.
    """
    import cv2
    path = str(path)
    header = header or read_image_header(path)
    check_label_header(header, role)
    image = _decode_label_file(path, header, cv2.IMREAD_UNCHANGED)
    if image.dtype == np.uint16:
        if np.any(image % 257):
            raise ImageInputError(
                f'{path}: 16-bit {role} whose values are not 8-bit values '
                f'scaled by 257; converting it to 8 bits would change its '
                f'labels. Save {role}s as 8-bit PNG.')
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise ImageInputError(
            f'{path}: {image.dtype} samples; expected an 8-bit image')
    if image.ndim == 3 and image.shape[2] == 4:
        transparent = int(np.count_nonzero(image[..., 3] != 255))
        if transparent:
            raise ImageInputError(
                f'{path}: {role} has transparency ({transparent} pixels with '
                f'alpha < 255); the labels under transparent pixels are '
                f'ambiguous. Save an opaque PNG (RGB, grey or palette).')
        image = image[..., :3]
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        if image.shape[2] != 3:
            raise ImageInputError(
                f'{path}: unexpected {image.shape[2]} channels')
        image = image[..., ::-1]  # BGR -> RGB view, no copy
    return image


#: Ends the message of a prediction whose size is not its GT's (the Java
#: tool crashes on a smaller prediction and silently crops a larger one).
PREDICTION_SIZE_REMEDY = 'predictions must have the GT size'


def read_label_pair(gt_path: PathLike,
                    pred_path: PathLike,
                    parallel: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Read a GT and its prediction (in parallel threads) and check sizes.

    Args:
        gt_path: GT image.
        pred_path: Prediction image.
        parallel (bool): Decode both files at once (two cores).

    Returns:
        tuple: ``(gt, prediction)`` as :func:`read_label_image` returns.

    Raises:
        ImageInputError: Naming the file at fault, including a size
            mismatch (:class:`ImageSizeError`, checked on the headers
            before decoding when both are PNG).
    """
    gt_header = read_image_header(gt_path)
    pred_header = read_image_header(pred_path)
    check_label_header(gt_header, 'GT')
    check_label_header(pred_header, 'prediction')
    if gt_header.width > 0 and pred_header.width > 0:
        check_same_shape(pred_path, (pred_header.height, pred_header.width),
                         f'the GT {gt_path}',
                         (gt_header.height, gt_header.width),
                         PREDICTION_SIZE_REMEDY)
    if parallel:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=2) as pool:
            gt_job = pool.submit(read_label_image, gt_path, 'GT', gt_header)
            pred_job = pool.submit(read_label_image, pred_path, 'prediction',
                                   pred_header)
            gt, pred = gt_job.result(), pred_job.result()
    else:
        gt = read_label_image(gt_path, 'GT', gt_header)
        pred = read_label_image(pred_path, 'prediction', pred_header)
    check_same_shape(pred_path, pred.shape, f'the GT {gt_path}', gt.shape,
                     PREDICTION_SIZE_REMEDY)
    return gt, pred


# ----------------------------------------------------------------- scans --

#: Ends the message of a scan whose size is not its GT's.
SCAN_SIZE_REMEDY = 'the overlay needs the page the GT was made for'


def _destination_shape(path: str,
                       header: ImageHeader) -> Optional[Tuple[int, int]]:
    """``(H, W)`` of an array to decode the scan ``path`` straight into,
    or None to let OpenCV make one.

    OpenCV returns a decoded image as a new numpy array, copied from its
    own buffer: twice the page at the peak (2 x 1.2 GB for a 20000x20000
    map). Given a destination of the right shape, it decodes into it.
    That shape must be known before decoding: from the file's header, for
    a scan that needs no turning (OpenCV does not turn a picture by its
    EXIF orientation into a given buffer).
    """
    try:
        size = read_size_header(path)
    except ImageInputError:
        return None  # the decoder names what is wrong with the file
    if size.orientation not in (None, 1):
        return None
    _check_decodable_size(path, size.width, size.height)
    if size.height == 0 or size.width == 0 or header.format == 'other':
        return None
    return size.height, size.width


def read_scan(path: PathLike,
              shape: Optional[Sequence[int]] = None,
              reference: Optional[PathLike] = None,
              role: str = 'original image',
              channel_order: str = 'rgb',
              allocate: Optional[Callable[[Tuple[int, ...]],
                                          np.ndarray]] = None
              ) -> np.ndarray:
    """Read a scan (any format OpenCV reads, JPEG included) as RGB.

    The page is decoded straight into its final array when its size is
    known from the header and it needs no turning, so decoding peaks at one
    page in memory, not two.

    Args:
        path: The scan.
        shape (Sequence[int], optional): Expected ``(H, W)``; a scan of
            another size is refused (from its header when it can be).
        reference (optional): The GT whose shape ``shape`` is; named in the
            size-mismatch error.
        role (str): What the scan is, named when it cannot be decoded.
        channel_order (str): ``'rgb'`` (a view on OpenCV's BGR buffer) or
            ``'bgr'`` (that buffer, contiguous: what mmcv's
            ``LoadImageFromFile`` gives).
        allocate (Callable, optional): Makes the ``H x W x 3`` uint8 array
            the page is decoded into (e.g. in shared memory); ``np.empty``
            by default.

    Returns:
        np.ndarray: ``HxWx3`` uint8 in ``channel_order``, turned as its
        EXIF orientation says.

    Raises:
        ImageInputError: Naming the file, if it is missing, not an image,
            corrupt or truncated (JPEG included); :class:`ImageSizeError`
            (with ``shape``) if it is not of that shape, naming
            ``reference`` and both sizes.
    """
    import cv2
    if channel_order not in ('rgb', 'bgr'):
        raise ValueError(f"channel_order must be 'rgb' or 'bgr', got "
                         f'{channel_order!r}')
    path = str(path)
    header = read_image_header(path)  # named error if missing / unreadable
    if shape is not None:
        shape = tuple(shape[:2])
        reference_name = f'the GT {reference}' if reference is not None \
            else 'the expected size'
    dst_shape = _destination_shape(path, header)
    if dst_shape is not None and shape is not None:
        # Known from the header: refuse before decoding the page.
        check_same_shape(path, dst_shape, reference_name, shape,
                         SCAN_SIZE_REMEDY, 'original page size')
    flags = cv2.IMREAD_COLOR  # applies the EXIF orientation
    dst = sentinel = None
    if dst_shape is not None:
        dst = allocate(dst_shape + (3, )) if allocate is not None \
            else np.empty(dst_shape + (3, ), np.uint8)
        # With a destination, OpenCV returns it untouched when the file is
        # not an image or fails to decode (see _decode_label_file): a last
        # row still holding this pattern means nothing (or not all) was
        # decoded.
        sentinel = _sentinel(dst.shape[1:])
        dst[-1] = sentinel
    unreadable = (f'{path}: cannot decode the {role} (corrupt, truncated or '
                  'unsupported format)')
    try:
        image = cv2.imread(path, dst, flags) if dst is not None \
            else cv2.imread(path, flags)
    except cv2.error as error:
        if dst is None:
            raise ImageInputError(
                f'{path}: cannot decode the {role} '
                f'({str(error).strip()})') from None
        # OpenCV asserts when the decoded size differs from the
        # destination's (the picture turned by an orientation PIL did not
        # see); decode into a new array instead.
        dst = None
        try:
            image = cv2.imread(path, flags)
        except cv2.error:
            raise ImageInputError(unreadable) from None
    if (image is None or image.size == 0) and dst is None:
        # OpenCV 5's imread fails on some files its imdecode reads (a TIFF
        # turned by 90 degrees by its EXIF orientation, which mmcv's
        # LoadImageFromFile decodes from the bytes).
        try:
            image = cv2.imdecode(np.fromfile(path, np.uint8), flags)
        except (cv2.error, OSError):
            image = None
    failed = image is None or image.size == 0 or (
        dst is not None and image is dst
        and np.array_equal(image[-1], sentinel))
    if not failed and header.format == 'JPEG' and \
            not jpeg_file_is_complete(path):
        failed = True
    if failed:
        raise ImageInputError(unreadable)
    if shape is not None:
        check_same_shape(path, image.shape, reference_name, shape,
                         SCAN_SIZE_REMEDY, 'original page size')
    return image[..., ::-1] if channel_order == 'rgb' else image


def decode_scan(data: bytes, source: str = 'image',
                max_size: Optional[int] = None,
                full_shape: Optional[Sequence[int]] = None) -> np.ndarray:
    """Decode a scan from its bytes as ``HxWx3`` uint8 RGB, turned as its
    EXIF orientation says.

    Args:
        data (bytes): The encoded file (from any mmengine file backend).
        source (str): The file, named in errors.
        max_size (int, optional): Decode at a reduced resolution (1/2, 1/4
            or 1/8) that is still at least ``max_size`` on the longer side;
            needs ``full_shape``.
        full_shape (Sequence[int], optional): ``(H, W)`` of the full page.

    Raises:
        ImageInputError: Naming the file if it cannot be decoded.
    """
    import cv2
    flag = cv2.IMREAD_COLOR
    if max_size is not None and full_shape is not None:
        longest = max(full_shape[:2])
        flags = {8: cv2.IMREAD_REDUCED_COLOR_8, 4: cv2.IMREAD_REDUCED_COLOR_4,
                 2: cv2.IMREAD_REDUCED_COLOR_2}
        for factor in _REDUCTIONS:
            if longest // factor >= max_size:
                flag = flags[factor]
                break
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flag) \
        if data else None
    if image is None or image.size == 0:
        raise ImageInputError(f'{source}: cannot decode the scan (corrupt, '
                              'truncated or unsupported format)')
    return np.ascontiguousarray(image[..., ::-1])
