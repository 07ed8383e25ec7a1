"""Input files of the converter tools (and their JSON mapping files), and
the mark of their outputs."""
import json
import os
from pathlib import Path
from typing import Dict, List, Sequence, Type, Union

from ..utils.errors import InputError
from ..utils.png_text import read_text

PathLike = Union[str, os.PathLike]


class ConverterInputError(InputError, ValueError):
    """A converter's input or output path that cannot be used."""


def collect_files(inputs: Sequence[PathLike], suffixes: Sequence[str],
                  what: str) -> List[Path]:
    """The files named in ``inputs``, folders expanded to their files with
    one of ``suffixes`` (sorted).

    Args:
        inputs: Files or folders.
        suffixes: Lower-case suffixes looked for in folders, e.g.
            ``('.xml',)``.
        what (str): What the files are, for messages (``'PAGE XML'``).

    Returns:
        list[Path]: The files.

    Raises:
        ConverterInputError: For a missing path, a folder without such
            files, or two inputs with one stem (their outputs would have
            one name).
    """
    files: List[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.suffix.lower() in suffixes and p.is_file())
            if not found:
                raise ConverterInputError(
                    f'{path}: folder has no {what} files '
                    f'({", ".join(suffixes)})')
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ConverterInputError(f'{path}: no such file or folder')
    by_stem: Dict[str, Path] = {}
    for path in files:
        other = by_stem.setdefault(path.stem, path)
        if other.resolve() != path.resolve():
            raise ConverterInputError(
                f'{other} and {path} have the same name; their outputs would '
                f'overwrite each other. Convert them into separate folders')
    return files


#: PNG ``Software`` text of the GTs the converters write: a rerun
#: replaces such files, never a user's (:mod:`..utils.output_guard`).
CONVERTER_SOFTWARE = 'mmseg_pixdiva converter'


def is_converter_output(path: PathLike) -> bool:
    """Whether ``path`` is a GT PNG written by a converter tool."""
    return read_text(path).get('Software') == CONVERTER_SOFTWARE


def read_json_object(path: PathLike, allowed: Sequence[str],
                     error: Type[Exception] = ConverterInputError) -> dict:
    """A JSON mapping file's object, its keys checked.

    Args:
        path: The file.
        allowed: The keys it may have.
        error: Exception class raised (the caller's input error).

    Raises:
        error: Naming the file: unreadable, malformed, not an object, or
            an unknown key.
    """
    try:
        spec = json.loads(Path(path).read_text(encoding='utf-8'))
    except OSError as failure:
        raise error(f'{path}: cannot read file '
                    f'({failure.strerror or failure})') from None
    except ValueError as failure:
        raise error(f'{path}: malformed JSON ({failure})') from None
    if not isinstance(spec, dict):
        raise error(f'{path}: expected a JSON object with keys '
                    f'{sorted(allowed)}')
    unknown = set(spec) - set(allowed)
    if unknown:
        raise error(f'{path}: unknown key(s) {sorted(unknown)} (known: '
                    f'{sorted(allowed)})')
    return spec
