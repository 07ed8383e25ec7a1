"""The rule every writing tool follows: never replace one of its inputs,
nor a file it did not write itself.

A tool lists the files it is about to write and the files it reads (GTs,
predictions, scans, checkpoints, configs) and calls :func:`refuse_inputs`
before it writes anything: an output that is the same file as an input (the
same path, a symbolic link to it, or a hard link) stops the run with a
message naming both. Folder outputs are checked the same way with
:func:`refuse_input_folders`, and :func:`refuse_foreign_files` keeps a
tool from replacing an existing file that is not one of its own outputs.
"""
import os
from pathlib import Path
from typing import Callable, Iterable, Optional, Tuple, Union

from .errors import InputError

PathLike = Union[str, os.PathLike]


class OutputIsInputError(InputError, ValueError):
    """An output path would replace one of the tool's inputs."""


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether ``a`` and ``b`` name one file (after resolving links).

    Two existing paths are compared by device and inode, so that hard links
    count as the same file; otherwise by their resolved absolute paths.
    """
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def refuse_inputs(outputs: Iterable[PathLike],
                  inputs: Iterable[Tuple[str, Optional[PathLike]]]) -> None:
    """Refuse outputs that would replace an input.

    Args:
        outputs: Every file the tool is about to write.
        inputs: ``(role, path)`` of every file it reads, e.g.
            ``('GT', 'gt/page.png')``; ``None`` paths are ignored.

    Raises:
        OutputIsInputError: Naming the first output that is an input, and
            that input with its role.
    """
    named = [(role, Path(path)) for role, path in inputs if path is not None]
    for output in outputs:
        for role, path in named:
            if same_file(output, path):
                raise OutputIsInputError(
                    f'{output}: refusing to write there: it is the {role} '
                    f'{path}; choose another output')


def refuse_input_folders(
        output_dir: PathLike,
        input_dirs: Iterable[Tuple[str, Optional[PathLike]]],
        inside: bool = False) -> None:
    """Refuse an output folder that is one of the input folders.

    Writing into a folder the tool lists as input would mix its outputs with
    the inputs: a later run would read them as inputs, and an output named
    like an input would replace it.

    Args:
        output_dir: The tool's output folder.
        input_dirs: ``(role, folder)`` pairs; ``None`` folders are ignored.
        inside (bool): Also refuse an output folder below an input folder
            (for tools whose inputs are a dataset's folders: its outputs
            would travel with them wherever the dataset is copied).

    Raises:
        OutputIsInputError: Naming the output folder and the input folder.
    """
    for role, folder in input_dirs:
        if folder is None or not Path(folder).is_dir():
            continue
        if same_file(output_dir, folder):
            raise OutputIsInputError(
                f'{output_dir}: refusing to write there: it is the {role} '
                f'folder {folder}; choose another output folder')
        if inside and Path(folder).resolve() in \
                Path(output_dir).resolve().parents:
            raise OutputIsInputError(
                f'{output_dir}: refusing to write there: it lies inside the '
                f'{role} folder {folder}; choose an output folder outside '
                'the dataset')


def refuse_foreign_files(outputs: Iterable[PathLike],
                         is_own: Callable[[Path], bool], tool: str) -> None:
    """Refuse to replace existing files that the tool did not write.

    Args:
        outputs: Every file the tool is about to write.
        is_own: Tells whether an existing file is one of the tool's own
            outputs (an earlier run's), which may be replaced.
        tool: The tool's name, for the message.

    Raises:
        OutputIsInputError: Naming the first existing output that is not
            the tool's own.
    """
    for output in outputs:
        output = Path(output)
        if output.exists() and not (output.is_file() and is_own(output)):
            raise OutputIsInputError(
                f'{output}: refusing to replace it: it exists and was not '
                f'written by {tool} (as far as its mark tells: outputs of '
                'versions before the marks have none); move it away or '
                'choose another output')
