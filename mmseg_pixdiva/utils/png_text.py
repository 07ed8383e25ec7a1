"""PNG text chunks: mark the pictures a tool writes as its own.

A ``tEXt`` chunk travels with the file (copies, moved folders), so a tool
can tell its own earlier output, which a rerun may replace, from a user's
file of the same name, which it must not (:mod:`.output_guard`). Pure
bytes handling (zlib's CRC only): inserting a chunk does not re-encode the
image.
"""
import os
import struct
import zlib
from typing import Dict, Union

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
#: Signature plus the IHDR chunk, which must come first.
_IHDR_END = len(PNG_SIGNATURE) + 8 + 13 + 4


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return (struct.pack('>I', len(data)) + kind + data +
            struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF))


def text_chunk(key: str, value: str) -> bytes:
    """A ``tEXt`` chunk ``key: value`` (both Latin-1; ``key`` 1-79
    characters, e.g. ``'Software'``)."""
    return chunk(b'tEXt', key.encode('latin-1') + b'\0' +
                 value.encode('latin-1'))


def with_text(png: bytes, key: str, value: str) -> bytes:
    """``png`` with a ``tEXt`` chunk ``key: value`` after its header.

    Args:
        png (bytes): An encoded PNG.
        key (str): Latin-1 keyword, 1-79 characters (e.g. ``'Software'``).
        value (str): Latin-1 text.

    Raises:
        ValueError: If ``png`` is not a PNG.
    """
    if not png.startswith(PNG_SIGNATURE) or png[12:16] != b'IHDR':
        raise ValueError('not a PNG (no signature and IHDR chunk)')
    return png[:_IHDR_END] + text_chunk(key, value) + png[_IHDR_END:]


def read_text(path: Union[str, os.PathLike]) -> Dict[str, str]:
    """The ``tEXt`` chunks before the image data of a PNG file.

    Reads only the chunks before the first ``IDAT``, so it costs a few
    hundred bytes whatever the image size. A file that is not a PNG, or
    cannot be read, has no text.
    """
    texts: Dict[str, str] = {}
    try:
        with open(path, 'rb') as f:
            if f.read(8) != PNG_SIGNATURE:
                return texts
            while True:
                head = f.read(8)
                if len(head) < 8:
                    return texts
                length, kind = struct.unpack('>I', head[:4])[0], head[4:]
                if kind in (b'IDAT', b'IEND') or length > 1 << 20:
                    return texts
                data = f.read(length)
                f.seek(4, os.SEEK_CUR)  # CRC
                if kind == b'tEXt' and b'\0' in data:
                    key, value = data.split(b'\0', 1)
                    texts[key.decode('latin-1')] = value.decode('latin-1')
    except OSError:
        return texts
