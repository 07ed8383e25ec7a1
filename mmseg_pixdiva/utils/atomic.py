"""Atomic file writing: write to a temporary name, then rename.

A reader (or a resumed run) never sees a half-written file: either the old
file or the complete new one exists under the final name.
"""
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Union

import numpy as np

from .png_text import with_text

PathLike = Union[str, os.PathLike]


def _temporary_affixes(path: Path) -> tuple:
    """Prefix and suffix of the temporary names of ``path``."""
    return f'.{path.stem}.', f'.tmp{path.suffix}'


def stale_temporaries(path: PathLike) -> List[Path]:
    """Temporary files of ``path`` left by a writer that was killed
    (SIGKILL, power loss) before it could delete them.

    Only names :func:`atomic_path` makes for ``path``
    (``.<stem>.<random>.tmp<suffix>`` beside it) are listed; the caller
    deletes them once no other writer of ``path`` can be running.
    """
    path = Path(path)
    prefix, suffix = _temporary_affixes(path)
    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.iterdir()
                  if p.name.startswith(prefix) and p.name.endswith(suffix)
                  and len(p.name) > len(prefix) + len(suffix))


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on
    success, delete it on error.

    Args:
        path: The final file name. Its folder is created if missing.

    Yields:
        Path: Where to write. Same folder and suffix as ``path`` so tools
        that pick the format from the suffix keep working.
    """
    path = Path(path)
    for folder in (path.parent, *path.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                # mkdir would say "[Errno 17] File exists: '<folder>'",
                # naming neither the output nor the problem.
                raise NotADirectoryError(
                    f'{path}: cannot write it there: {folder} is a file, '
                    'not a folder')
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = _temporary_affixes(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give it the permissions
        # a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode('utf-8'))


def read_only_by_intent(folder: PathLike) -> bool:
    """Whether ``folder`` has no write permission bit at all: a shared,
    read-only copy of a dataset (even a user the system would let write,
    root, writes nothing there)."""
    import stat
    folder = Path(folder)
    return folder.is_dir() and not folder.stat().st_mode & (
        stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def cache_location(path: PathLike) -> Path:
    """Where the cache file ``path`` (beside the data it describes) is
    read and written.

    Beside the data if its folder may be written; for a folder that is
    read-only by intent (:func:`read_only_by_intent`), in the user's cache
    folder instead (``$XDG_CACHE_HOME`` or ``~/.cache``, then
    ``mmseg_pixdiva/<hash of the data folder>/<file name>``), so that a
    shared dataset is still scanned once per user, not at every start.
    """
    import hashlib
    path = Path(path)
    folder = path.parent.resolve()
    if not read_only_by_intent(folder):
        return path
    home = os.environ.get('XDG_CACHE_HOME') or \
        os.path.join(os.path.expanduser('~'), '.cache')
    key = hashlib.sha1(str(folder).encode()).hexdigest()[:16]
    return Path(home) / 'mmseg_pixdiva' / key / path.name


def write_cache_text(path: PathLike, text: str, what: str) -> bool:
    """Write a cache file beside the data it describes, if allowed.

    A folder without any write permission bit is read-only by intent (a
    shared copy of a dataset): nothing is written there, even by a user
    the system would let write (root). A failed write only warns: a cache
    saves time, its absence costs a rescan.

    Args:
        path: The cache file.
        text (str): Its content.
        what (str): What is cached, for the warning (``'the GT values'``).

    Returns:
        bool: Whether the cache was written.
    """
    import warnings
    try:
        if read_only_by_intent(Path(path).parent):
            return False
        atomic_write_text(path, text)
    except OSError as error:
        warnings.warn(f'could not cache {what} in {path} ({error}); they '
                      'will be computed again next time')
        return False
    return True


def atomic_write_image(path: PathLike, rgb: np.ndarray,
                       compression: int = 3,
                       software: Optional[str] = None) -> None:
    """Encode an RGB (or grey) uint8 image by the suffix of ``path`` and
    write it atomically.

    Args:
        path: Final file name; ``.png`` is lossless.
        rgb, compression, software: See :func:`encode_image`.
    """
    atomic_write_bytes(path, encode_image(path, rgb, compression, software))


def encode_image(path: PathLike, rgb: np.ndarray, compression: int = 3,
                 software: Optional[str] = None) -> bytes:
    """The bytes of an RGB (or grey) uint8 image in the format the suffix
    of ``path`` names, as :func:`atomic_write_image` writes them.

    Args:
        path: File name; only its suffix is used (``.png`` is lossless,
            none means PNG).
        rgb (np.ndarray): ``HxWx3`` RGB or ``HxW`` grey, uint8.
        compression (int): PNG compression level (0-9); 3 is a good
            speed/size balance for label images.
        software (str, optional): PNG only: recorded as the file's
            ``Software`` text, so that the tool can recognise its own
            output later (:mod:`.png_text`).

    Returns:
        bytes: The encoded file.
    """
    import cv2  # local: keeps `import mmseg_pixdiva.utils` light
    image = rgb[..., ::-1] if rgb.ndim == 3 else rgb  # OpenCV wants BGR
    suffix = Path(path).suffix.lower() or '.png'
    params = [cv2.IMWRITE_PNG_COMPRESSION, compression] \
        if suffix == '.png' else []
    ok, encoded = cv2.imencode(suffix, np.ascontiguousarray(image), params)
    if not ok:
        raise OSError(f'could not encode image for {path}')
    data = encoded.tobytes()
    if software is not None and suffix == '.png':
        data = with_text(data, 'Software', software)
    return data
