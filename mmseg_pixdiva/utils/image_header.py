"""What an image file's first bytes tell, without decoding it.

The one header reader of the project: the evaluator
(:mod:`mmseg_pixdiva.evaluation.layout_io`), the dataset file checks, the
scan reader and the GT-format writer's completeness check all read headers
here. Two levels:

* :func:`read_image_header`: pure bytes handling (no numpy, OpenCV or PIL),
  so the evaluator CLI stays fast. It knows every format by its signature
  and parses PNG's header (``ImageHeader.width`` / ``height``, in the file
  format's order).
* :func:`read_size_header` / :func:`header_size`: the size (and EXIF
  orientation) of any format PIL reads, JPEG and TIFF scans included, as
  ``(h, w)``; PIL is imported only when they are called.
"""
import os
import struct
import threading
import warnings
from typing import NamedTuple, Optional, Tuple, Union

from .errors import InputError
from .png_text import PNG_SIGNATURE

PathLike = Union[str, os.PathLike]

JPEG_SIGNATURE = b'\xff\xd8\xff'

_PNG_COLOUR_TYPES = {
    0: 'grey',
    2: 'RGB',
    3: 'palette',
    4: 'grey+alpha',
    6: 'RGBA',
}


class ImageInputError(InputError, ValueError):
    """An input image cannot be used as it is; the message names the file
    and says what is wrong.

    The evaluator knows it as
    :class:`mmseg_pixdiva.evaluation.layout_io.LayoutInputError`.
    """


class PageHeaderError(ImageInputError):
    """An image file has no readable image header (size)."""


class ImageHeader(NamedTuple):
    """What the first bytes of an image file tell.

    Attributes:
        path (str): The file.
        format (str): ``'PNG'``, ``'JPEG'``, ``'BMP'``, ``'TIFF'`` or
            ``'other'``.
        width (int): Pixels, or -1 where the header is not parsed.
        height (int): Pixels, or -1 where the header is not parsed.
        bit_depth (int): Bits per sample (PNG), or -1.
        colour_type (str): PNG colour type name, or ``''``.
        interlaced (bool): PNG Adam7 interlacing.
        complete (bool): False for a PNG whose end (its ``IEND`` chunk) is
            missing: a truncated file, which decoders may fill with zeros.
    """
    path: str
    format: str
    width: int = -1
    height: int = -1
    bit_depth: int = -1
    colour_type: str = ''
    interlaced: bool = False
    complete: bool = True


#: How far from a PNG's end its ``IEND`` chunk may lie (some writers append
#: a few bytes after it, which decoders ignore).
_PNG_TAIL = 4096


def _png_has_end(f) -> bool:
    """Whether the open PNG file ``f`` ends with its ``IEND`` chunk."""
    size = f.seek(0, 2)
    f.seek(max(0, size - _PNG_TAIL))
    return b'IEND\xaeB`\x82' in f.read()


def png_header_size(head: bytes) -> Optional[Tuple[int, int]]:
    """``(width, height)`` from a PNG's first 24 bytes, or None if ``head``
    does not start with a PNG signature and IHDR chunk."""
    if not head.startswith(PNG_SIGNATURE) or len(head) < 24 or \
            head[12:16] != b'IHDR':
        return None
    return struct.unpack('>II', head[16:24])


def read_image_header(path: PathLike) -> ImageHeader:
    """Identify an image file from its first bytes (no decoding).

    Args:
        path: Image file.

    Returns:
        ImageHeader: Format and, for PNG, size, bit depth and colour type.

    Raises:
        ImageInputError: If the file is missing, unreadable, empty or a
            truncated PNG header.
    """
    path = str(path)
    try:
        with open(path, 'rb') as f:
            head = f.read(33)
            complete = _png_has_end(f) if head.startswith(PNG_SIGNATURE) \
                else True
    except OSError as error:
        raise ImageInputError(
            f'{path}: cannot read file ({error.strerror or error})') from None
    if not head:
        raise ImageInputError(f'{path}: empty file (0 bytes)')
    if head.startswith(PNG_SIGNATURE):
        if len(head) < 33 or head[12:16] != b'IHDR':
            raise ImageInputError(
                f'{path}: corrupt PNG (no complete IHDR header)')
        width, height, bit_depth, colour_type, _, _, interlace = \
            struct.unpack('>IIBBBBB', head[16:29])
        return ImageHeader(path, 'PNG', width, height, bit_depth,
                           _PNG_COLOUR_TYPES.get(colour_type,
                                                 f'type {colour_type}'),
                           interlace == 1, complete)
    if head.startswith(JPEG_SIGNATURE):
        return ImageHeader(path, 'JPEG')
    if head.startswith(b'BM'):
        return ImageHeader(path, 'BMP')
    if head[:4] in (b'II*\x00', b'MM\x00*'):
        return ImageHeader(path, 'TIFF')
    return ImageHeader(path, 'other')


#: JPEG markers without a length field: TEM and the restart markers RSTn.
_JPEG_STANDALONE_MARKERS = frozenset([0x01, *range(0xD0, 0xD8)])


def jpeg_is_complete(data) -> bool:
    """Whether JPEG bytes reach the end-of-image marker of their image.

    libjpeg only *warns* about a truncated JPEG ("Premature end of JPEG
    file") and fills the missing rows with grey, so OpenCV reports success:
    the decoder cannot tell. This walks the marker segments from the start
    (skipping each segment by its length, and each scan's entropy-coded
    data, where ``0xFF`` is followed by ``0x00`` or a restart marker) up to
    the image's EOI. Bytes after it (a camera's trailer) are never read, so
    they cannot fake or hide the end; an EXIF thumbnail's EOI lies inside
    its APP1 segment and is skipped with it.

    Args:
        data: The file's bytes (``bytes``, ``mmap`` ...).

    Returns:
        bool: True if the EOI marker is reached.
    """
    size = len(data)
    if size < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return False
    pos = 2
    while True:
        if pos >= size or data[pos] != 0xFF:
            return False  # cut short, or garbage where a marker belongs
        while pos < size and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= size:
            return False
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            return True
        if marker in _JPEG_STANDALONE_MARKERS:
            continue
        if pos + 2 > size:
            return False
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2:
            return False
        pos += length
        if marker != 0xDA:
            continue
        # Entropy-coded data of the scan: up to the next real marker.
        while True:
            pos = data.find(b'\xff', pos)
            if pos < 0 or pos + 1 >= size:
                return False
            following = data[pos + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7:
                pos += 2  # a stuffed 0xFF byte or a restart marker
            else:
                break  # a marker (or fill bytes before one) starts here


def jpeg_file_is_complete(path: str) -> bool:
    """:func:`jpeg_is_complete` of a file, without reading it into memory."""
    import mmap
    with open(path, 'rb') as f, \
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return jpeg_is_complete(data)


#: EXIF orientations that turn the picture by 90 degrees (swap h and w).
TRANSPOSING_ORIENTATIONS = (5, 6, 7, 8)
_EXIF_ORIENTATION = 0x0112

#: Held while PIL's module-wide pixel limit is lifted for a header read.
_PIL_LIMIT = threading.Lock()


class SizeHeader(NamedTuple):
    """An image's size as stored in its file, and its EXIF orientation.

    Attributes:
        height (int): Stored rows.
        width (int): Stored columns.
        orientation (int, optional): The EXIF orientation tag (1 to 8), or
            None without one.
    """
    height: int
    width: int
    orientation: Optional[int]

    def shape(self, apply_orientation: bool = False) -> Tuple[int, int]:
        """``(h, w)``, after the orientation if ``apply_orientation``."""
        if apply_orientation and \
                self.orientation in TRANSPOSING_ORIENTATIONS:
            return self.width, self.height
        return self.height, self.width


def _orientation(img) -> Optional[int]:
    """The EXIF orientation of an opened PIL image, without decoding it."""
    from PIL import Image
    if img.format == 'PNG':
        # PIL's PNG getexif() decodes the whole image to look for an eXIf
        # chunk after the pixels; one before them is in ``info`` already.
        exif = Image.Exif()
        if img.info.get('exif'):
            exif.load(img.info['exif'])
    else:
        exif = img.getexif()
    return exif.get(_EXIF_ORIENTATION)


def read_size_header(path: PathLike) -> SizeHeader:
    """Size and EXIF orientation of any image file PIL reads, from its
    header only.

    Args:
        path: Image file.

    Raises:
        PageHeaderError: Naming the file if it cannot be opened as an
            image.
    """
    from PIL import Image
    try:
        # Only the header is read, so PIL's guard against decoding a large
        # picture (a warning from 89 megapixels, an error from 179: a
        # 20000x20000 map) does not apply; the decoders' own limit
        # (image_reader.MAX_DECODED_PIXELS) is checked where pages are
        # decoded.
        with warnings.catch_warnings(), _PIL_LIMIT:
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                img = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = limit
            with img:
                return SizeHeader(img.height, img.width,
                                  _orientation(img))
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise PageHeaderError(f'{path}: cannot read the image size: '
                              f'{err}') from None


def header_size(path: PathLike, apply_orientation: bool = False
                ) -> Tuple[int, int]:
    """``(h, w)`` of an image file, read from its header only.

    Args:
        path: Image file.
        apply_orientation (bool): Give the size after the EXIF orientation
            is applied, as colour decoding (``LoadImageFromFile``) does;
            unchanged decoding (the GT's) ignores it.

    Raises:
        PageHeaderError: Naming the file if it cannot be opened as an
            image.
    """
    return read_size_header(path).shape(apply_orientation)
