"""Reading GT / prediction / page images for the layout evaluator.

What the Java evaluator accepts (it reads through ``ImageIO`` and
``getRGB``), with each way an input can silently change its labels turned
into a clear error that names the file:

* PNG in RGB, 8-bit grey (grey value = blue value) or palette (resolved to
  its colours); BMP and TIFF decode the same way;
* RGBA / grey+alpha / palette with transparency: accepted when every pixel
  is opaque, refused otherwise (what lies under a transparent pixel is not
  a reliable label);
* 16-bit: accepted when every value is an 8-bit value scaled by 257 (exact
  conversion), refused otherwise; grey below 8 bits is refused (its values
  are scaled to 0..255 by decoders, which is not a label encoding);
* JPEG (and other lossy formats) are refused: lossy compression changes
  label values.

Note on grey PNGs: Java's ``getRGB`` converts a linear-grey image to sRGB
(grey 1 becomes 13, 8 becomes 50), so the Java tool scores a grey
prediction on the wrong values; here the grey value is the blue value,
which is what the writer of such a file means.

Decoding uses OpenCV (imported lazily) into a pre-allocated array: no
second full-size copy is made, and two files decode in parallel threads.
"""
import os
import struct
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

# The header reader lives in utils (the datasets and the GT writer use it
# too); its names stay importable from here.
from ..utils.image_header import (JPEG_SIGNATURE, PNG_SIGNATURE,  # noqa: F401
                                  ImageHeader, ImageInputError,
                                  jpeg_file_is_complete, jpeg_is_complete,
                                  read_image_header)

PathLike = Union[str, os.PathLike]


#: Suffixes the evaluator's folder mode looks at (others are ignored). Not
#: the scan suffixes of :data:`mmseg_pixdiva.datasets.pairing.IMAGE_SUFFIXES`:
#: formats the evaluator refuses (GIF, JPEG, JPEG 2000, WebP) are listed too,
#: so that such a page is named in an error, not skipped without a word.
FOLDER_MODE_SUFFIXES = ('.png', '.bmp', '.tif', '.tiff', '.jpg', '.jpeg',
                        '.jp2', '.webp', '.gif')

#: The evaluator's name for an input image it cannot score as it is.
LayoutInputError = ImageInputError


def check_label_header(header: ImageHeader, role: str) -> None:
    """Refuse label files whose format would change their values.

    Args:
        header (ImageHeader): From :func:`read_image_header`.
        role (str): ``'GT'`` or ``'prediction'`` (named in messages).

    Raises:
        LayoutInputError: For JPEG, unknown formats, truncated PNGs and
            sub-byte grey PNGs.
    """
    path = header.path
    if header.format == 'JPEG':
        raise LayoutInputError(
            f'{path}: the {role} is a JPEG; lossy compression changes label '
            f'values (blue bits), so it cannot be scored. Save {role}s as '
            f'PNG.')
    if header.format == 'other':
        raise LayoutInputError(
            f'{path}: the {role} is not a PNG, BMP or TIFF image (unknown or '
            f'lossy format); save {role}s as PNG.')
    if header.format == 'PNG':
        if not header.complete:
            raise LayoutInputError(
                f'{path}: truncated PNG (its end, the IEND chunk, is '
                'missing)')
        if header.width == 0 or header.height == 0:
            raise LayoutInputError(f'{path}: empty image '
                                   f'({header.width}x{header.height})')
        if header.colour_type in ('grey', 'grey+alpha') \
                and header.bit_depth < 8:
            raise LayoutInputError(
                f'{path}: {header.bit_depth}-bit grey PNG; decoders scale '
                f'its values to 0..255, which is not a label encoding. Save '
                f'8-bit grey (grey value = blue value) or RGB.')


def _sentinel(shape: Tuple[int, ...]) -> np.ndarray:
    """A fixed pseudo-random pattern that no real image row matches."""
    return np.random.default_rng(0x5EED).integers(
        0, 256, size=shape, dtype=np.uint8)


#: The most pixels OpenCV decodes (its CV_IO_MAX_IMAGE_PIXELS default).
MAX_DECODED_PIXELS = 1 << 30


def _decode(path: str, header: ImageHeader, flags: int) -> np.ndarray:
    import cv2  # lazy: keeps the module (and the CLI start) light
    if header.width * header.height > MAX_DECODED_PIXELS:
        raise LayoutInputError(
            f'{path}: the header says {header.width}x{header.height} (WxH) '
            f'pixels, more than the {MAX_DECODED_PIXELS} an image may have '
            'here; the file is corrupt or not a page')
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
        raise LayoutInputError(
            f'{path}: cannot decode image (corrupt or unsupported '
            'file)') from None
    failed = image is None or image.size == 0 or (
        dst is not None and image is dst
        and np.array_equal(image[-1], sentinel))
    if failed:
        raise LayoutInputError(
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
        LayoutInputError: Naming the file, for unreadable / corrupt files,
            lossy formats, transparency, 16-bit values that do not convert
            exactly.
    """
    import cv2
    path = str(path)
    header = header or read_image_header(path)
    check_label_header(header, role)
    image = _decode(path, header, cv2.IMREAD_UNCHANGED)
    if image.dtype == np.uint16:
        if np.any(image % 257):
            raise LayoutInputError(
                f'{path}: 16-bit {role} whose values are not 8-bit values '
                f'scaled by 257; converting it to 8 bits would change its '
                f'labels. Save {role}s as 8-bit PNG.')
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise LayoutInputError(
            f'{path}: {image.dtype} samples; expected an 8-bit image')
    if image.ndim == 3 and image.shape[2] == 4:
        transparent = int(np.count_nonzero(image[..., 3] != 255))
        if transparent:
            raise LayoutInputError(
                f'{path}: {role} has transparency ({transparent} pixels with '
                f'alpha < 255); the labels under transparent pixels are '
                f'ambiguous. Save an opaque PNG (RGB, grey or palette).')
        image = image[..., :3]
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 3:
        if image.shape[2] != 3:
            raise LayoutInputError(
                f'{path}: unexpected {image.shape[2]} channels')
        image = image[..., ::-1]  # BGR -> RGB view, no copy
    return image


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
        LayoutInputError: Naming the file at fault, including a size
            mismatch (checked on the headers before decoding when both are
            PNG).
    """
    gt_header = read_image_header(gt_path)
    pred_header = read_image_header(pred_path)
    check_label_header(gt_header, 'GT')
    check_label_header(pred_header, 'prediction')
    if gt_header.width > 0 and pred_header.width > 0:
        check_same_size(pred_path, (pred_header.width, pred_header.height),
                        gt_path, (gt_header.width, gt_header.height))
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
    check_same_size(pred_path, (pred.shape[1], pred.shape[0]), gt_path,
                    (gt.shape[1], gt.shape[0]))
    return gt, pred


def check_same_size(path: PathLike, size: Tuple[int, int],
                    gt_path: PathLike, gt_size: Tuple[int, int],
                    remedy: str = 'predictions must have the GT size'
                    ) -> None:
    """Raise :class:`LayoutInputError` naming ``path`` if its ``(W, H)``
    differs from the GT's (the Java tool crashes on a smaller prediction and
    silently crops a larger one); ``remedy`` ends the message."""
    if tuple(size) != tuple(gt_size):
        raise LayoutInputError(
            f'{path}: size {size[0]}x{size[1]} differs from the GT '
            f'{gt_path} ({gt_size[0]}x{gt_size[1]}, WxH); {remedy}')


def read_page_image(path: PathLike,
                    size: Optional[Tuple[int, int]] = None,
                    gt_path: Optional[PathLike] = None) -> np.ndarray:
    """Read the original page (any format OpenCV reads, JPEG included).

    Args:
        path: Page image.
        size (tuple, optional): Expected ``(W, H)``; the page is then
            decoded straight into a new array of that size (no second
            full-page copy).
        gt_path (optional): The GT whose size ``size`` is; named in the
            size-mismatch error.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB (view on a BGR buffer), turned as
        its EXIF orientation says, as the training pipeline
        (``LoadImageFromFile``, OpenCV) reads scans: the project's one
        policy for scans. (Java's ImageIO ignores the orientation.)

    Raises:
        LayoutInputError: Naming the file, if it is missing, not an image,
            corrupt or truncated (JPEG included), or (with ``size``) not of
            that size (naming ``gt_path`` and both sizes).
    """
    import cv2
    path = str(path)
    header = read_image_header(path)  # named error if missing / unreadable
    if header.format == 'PNG' and size is not None and \
            (header.width, header.height) != tuple(size):
        # Known from the header: refuse before decoding the page.
        _raise_page_size(path, (header.width, header.height), gt_path, size)
    flags = cv2.IMREAD_COLOR
    dst = sentinel = None
    # OpenCV cannot turn a JPEG by its EXIF orientation into a given
    # buffer: JPEGs are decoded into a new one.
    if size is not None and header.format != 'JPEG':
        dst = np.empty((size[1], size[0], 3), np.uint8)
        # With a destination, OpenCV returns it untouched when the file is
        # not an image or fails to decode (see _decode): a last row still
        # holding this pattern means nothing (or not all) was decoded.
        sentinel = _sentinel(dst.shape[1:])
        dst[-1] = sentinel
    try:
        image = cv2.imread(path, dst, flags) if dst is not None \
            else cv2.imread(path, flags)
    except cv2.error as error:
        if dst is None:
            raise LayoutInputError(
                f'{path}: cannot decode the original image '
                f'({str(error).strip()})') from None
        # OpenCV asserts when the decoded size differs from the
        # destination's; decode once more (error path only) to name it.
        image = None
        try:
            image = cv2.imread(path, flags)
        except cv2.error:
            pass
        if image is not None and image.size and \
                (image.shape[1], image.shape[0]) != tuple(size):
            _raise_page_size(path, (image.shape[1], image.shape[0]), gt_path,
                             size)
        raise LayoutInputError(
            f'{path}: cannot decode the original image (corrupt, truncated '
            f'or unsupported format)') from None
    failed = image is None or image.size == 0 or (
        dst is not None and image is dst
        and np.array_equal(image[-1], sentinel))
    if not failed and header.format == 'JPEG' and \
            not jpeg_file_is_complete(path):
        failed = True
    if failed:
        raise LayoutInputError(
            f'{path}: cannot decode the original image (corrupt, truncated '
            f'or unsupported format)')
    if size is not None and (image.shape[1], image.shape[0]) != tuple(size):
        _raise_page_size(path, (image.shape[1], image.shape[0]), gt_path,
                         size)
    return image[..., ::-1]


def _raise_page_size(path: str, page_size: Tuple[int, int],
                     gt_path: Optional[PathLike],
                     size: Tuple[int, int]) -> None:
    """Raise the named size-mismatch error of :func:`read_page_image`."""
    expected = f'the GT {gt_path}' if gt_path is not None \
        else 'the expected size'
    raise LayoutInputError(
        f'{path}: original page size {page_size[0]}x{page_size[1]} differs '
        f'from {expected} ({size[0]}x{size[1]}, WxH); the overlay needs the '
        f'page the GT was made for')


def bgr_buffer(rgb: np.ndarray) -> Optional[np.ndarray]:
    """The writable, C-contiguous BGR array behind an RGB view returned by
    the readers here, or ``None`` if ``rgb`` is not such a view."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        return None
    bgr = rgb[..., ::-1]
    return bgr if bgr.flags.c_contiguous and bgr.flags.writeable else None


def encode_png(bgr_or_grey: np.ndarray, compression: int = 1) -> bytes:
    """Encode a BGR (OpenCV order) or grey uint8 image as PNG bytes.

    Args:
        bgr_or_grey (np.ndarray): Contiguous ``HxWx3`` BGR or ``HxW``.
        compression (int): zlib level 0-9; 1 is fast and label-like images
            (large flat areas) still compress well.

    Returns:
        bytes: The PNG file.
    """
    import cv2
    ok, encoded = cv2.imencode(
        '.png', bgr_or_grey, [cv2.IMWRITE_PNG_COMPRESSION, compression])
    if not ok:
        raise OSError('PNG encoding failed')
    return encoded.tobytes()


class IndexedPngWriter:
    """Streaming encoder of an 8-bit palette PNG (lossless).

    Rows are added top to bottom; zlib (which releases the GIL) compresses
    them in a background thread, so encoding overlaps whatever produces the
    next rows. The error visualisation has six colours: one byte per pixel
    and zlib's run-length strategy make it about 8x faster to write (and 2x
    smaller) than the same image as RGB through OpenCV, and every PNG
    reader shows the same RGB colours.

    Args:
        width (int): Image width.
        height (int): Image height.
        palette (np.ndarray): ``Nx3`` uint8 RGB colours (N <= 256).
        level (int): zlib level (1 is fast; RLE does the work).
    """

    def __init__(self, width: int, height: int, palette: np.ndarray,
                 level: int = 1) -> None:
        import zlib
        from concurrent.futures import ThreadPoolExecutor
        self.palette = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)
        if not 0 < len(self.palette) <= 256:
            raise ValueError(f'palette needs 1..256 colours, got '
                             f'{len(self.palette)}')
        self.width, self.height = int(width), int(height)
        self.rows_written = 0
        self._compressor = zlib.compressobj(level, zlib.DEFLATED, 15, 9,
                                            zlib.Z_RLE)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._parts = []

    def add_rows(self, rows: np.ndarray) -> None:
        """Queue ``rows`` (``n x width`` uint8 indices) for compression; the
        array may be reused by the caller afterwards."""
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != self.width or \
                rows.dtype != np.uint8:
            raise ValueError(f'rows must be uint8 of shape (n, {self.width}),'
                             f' got {rows.dtype} {rows.shape}')
        if rows.size and int(rows.max()) >= len(self.palette):
            raise ValueError(f'index {int(rows.max())} outside the palette '
                             f'of {len(self.palette)} colours')
        if self.rows_written + len(rows) > self.height:
            raise ValueError(f'more than {self.height} rows added')
        scanlines = np.zeros((len(rows), self.width + 1), dtype=np.uint8)
        scanlines[:, 1:] = rows  # column 0: PNG filter type 0 (None)
        self.rows_written += len(rows)
        self._parts.append(
            self._pool.submit(self._compressor.compress, scanlines.data))

    def finish(self) -> bytes:
        """Wait for the compression and return the PNG file."""
        import zlib
        try:
            if self.rows_written != self.height:
                raise ValueError(f'{self.rows_written} of {self.height} rows '
                                 f'added')
            data = [part.result() for part in self._parts]
            data.append(self._compressor.flush())
        finally:
            self._pool.shutdown(wait=True)

        def chunk(kind: bytes, payload: bytes) -> bytes:
            crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
            return (struct.pack('>I', len(payload)) + kind + payload +
                    struct.pack('>I', crc))

        header = struct.pack('>IIBBBBB', self.width, self.height, 8, 3, 0, 0,
                             0)
        return b''.join([
            PNG_SIGNATURE,
            chunk(b'IHDR', header),
            chunk(b'PLTE', self.palette.tobytes()),
            chunk(b'IDAT', b''.join(data)),
            chunk(b'IEND', b''),
        ])


def encode_indexed_png(indices: np.ndarray,
                       palette: np.ndarray,
                       level: int = 1,
                       rows_per_chunk: int = 256) -> bytes:
    """Encode ``HxW`` uint8 palette indices as a palette PNG (see
    :class:`IndexedPngWriter`)."""
    indices = np.asarray(indices)
    if indices.ndim != 2:
        raise ValueError(f'indices must be HxW, got shape {indices.shape}')
    writer = IndexedPngWriter(indices.shape[1], indices.shape[0], palette,
                              level)
    for r0 in range(0, indices.shape[0], rows_per_chunk):
        writer.add_rows(indices[r0:r0 + rows_per_chunk])
    return writer.finish()


def stem_of(path: PathLike) -> str:
    """File name without its last suffix (pairing key in folder mode)."""
    return Path(path).stem
