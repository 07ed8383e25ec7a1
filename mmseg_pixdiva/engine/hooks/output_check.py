"""What the hooks that write files check before their first write.

:class:`~.gt_format_prediction_hook.GTFormatPredictionHook` and
:class:`~.test_pictures_hook.TestPicturesHook` write files named after the
test pages into a folder the user names. Before the first one (and
``tools/test.py`` before it builds the runner) :func:`refuse_unsafe_outputs`
applies the rule of :mod:`mmseg_pixdiva.utils.output_guard`. Refused are:

* a folder that is, or lies inside, a folder of the dataset (its
  ``data_prefix`` folders and those its pages and GTs are in): the outputs
  would be read as pages or GTs by the next run, replace them where the
  names meet, and travel with the dataset wherever it is copied;
* an existing file at one of the names the hook will write that the hook
  did not write itself (its PNGs carry a ``Software`` text).
"""
from pathlib import Path
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

from mmseg_pixdiva.utils.output_guard import (PathLike, refuse_foreign_files,
                                              refuse_input_folders)

#: ``(role, folder)`` pairs, as :func:`refuse_input_folders` takes them.
Folders = Sequence[Tuple[str, Optional[PathLike]]]


def dataset_samples(dataset) -> List[Tuple[str, Optional[str]]]:
    """``(img_path, seg_map_path)`` of every sample of a built dataset.

    Args:
        dataset: An mmengine dataset (wrappers such as ``ConcatDataset``
            included), or None.

    Returns:
        list: Each page once, in order; empty for a dataset that cannot be
        listed (no ``get_data_info``).
    """
    if dataset is None or not hasattr(dataset, 'get_data_info'):
        return []
    samples = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if info.get('img_path'):
            samples.setdefault(str(info['img_path']),
                               info.get('seg_map_path'))
    return list(samples.items())


def _dataset_folders(dataset, samples) -> List[Tuple[str, str]]:
    """``(role, folder)`` of the dataset's ``data_prefix`` folders and of
    the folders its samples' files are in."""
    folders = {}
    prefix = getattr(dataset, 'data_prefix', None) or {}
    for key, role in (('img_path', 'image'), ('seg_map_path', 'GT')):
        if prefix.get(key):
            folders.setdefault(str(prefix[key]), role)
    for img_path, seg_map_path in samples:
        folders.setdefault(str(Path(img_path).parent), 'image')
        if seg_map_path:
            folders.setdefault(str(Path(seg_map_path).parent), 'GT')
    return [(f'test {role}', folder) for folder, role in folders.items()]


def refuse_unsafe_outputs(out_dir: PathLike, dataset,
                          outputs: Callable[[List[str]], Iterable[PathLike]],
                          is_own: Callable[[Path], bool], tool: str,
                          input_folders: Folders = ()) -> None:
    """Refuse to write a hook's files into ``out_dir`` (see the module).

    Args:
        out_dir: The hook's output folder.
        dataset: The built test dataset (or None).
        outputs: Every file the hook will write, given the page paths.
        is_own: Whether an existing file is one of the hook's outputs.
        tool: The hook's name, for the message.
        input_folders: More ``(role, folder)`` pairs to refuse, e.g. the
            other splits' folders of the config.

    Raises:
        OutputIsInputError: Naming the output and the input (or the file
            that is not the hook's own).
    """
    samples = dataset_samples(dataset)
    refuse_input_folders(
        out_dir, [*input_folders, *_dataset_folders(dataset, samples)],
        inside=True)
    refuse_foreign_files(outputs([img for img, _ in samples]), is_own, tool)
