"""What a cache or a run was computed from: file names, sizes and mtimes,
or a file's content hash; and what a file was written with."""
import hashlib
import os
import os.path as osp
from typing import List, Optional, Sequence


def files_signature(paths: Sequence[str],
                    base: Optional[str] = None) -> List[list]:
    """``[name, size, mtime_ns]`` per file, sorted: changes with the files.

    Args:
        paths (Sequence[str]): The files.
        base (str, optional): Names are relative to it (so a moved data root
            keeps its cache); without it, the base names.

    Returns:
        list: One ``[name, size, mtime_ns]`` entry per file.
    """
    signature = []
    for path in paths:
        stat = os.stat(path)
        name = osp.relpath(path, base).replace(os.sep, '/') if base \
            else osp.basename(path)
        signature.append([name, int(stat.st_size), int(stat.st_mtime_ns)])
    return sorted(signature)


def file_sha256(path: str) -> str:
    """SHA-256 of a file's content (hex), read in 1 MiB blocks.

    Identifies a file wherever it lies and whenever it was copied, unlike
    :func:`files_signature`'s name, size and mtime.
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def content_signature(data: bytes) -> dict:
    """``{'size': bytes, 'sha256': hex}`` of content about to be written.

    Recorded by a writer that must later tell its own files from others
    under the same names (:func:`has_content`); unlike
    :func:`files_signature`, a copy or a touch keeps it.
    """
    return dict(size=len(data), sha256=hashlib.sha256(data).hexdigest())


def has_content(path: str, signature: dict) -> bool:
    """Whether the file ``path`` holds the content ``signature``
    (:func:`content_signature`) describes.

    The sizes are compared first, so that most other files are told apart
    without being read. A missing file or a malformed signature gives
    False.
    """
    if not isinstance(signature, dict):
        return False
    try:
        if os.path.getsize(path) != signature.get('size'):
            return False
        return file_sha256(path) == signature.get('sha256')
    except OSError:
        return False
