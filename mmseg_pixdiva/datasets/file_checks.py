"""Cheap checks that a page's image or GT file is complete.

A truncated JPEG decodes without error: libjpeg only prints its unnamed
"Premature end of JPEG file" and fills the missing rows with grey, which
then enters the statistics and the training crops. A truncated PNG fails
only when it is decoded, perhaps at the first validation hours later. Both
are found here from the file's markers, without decoding it, so a whole
dataset is checked in seconds before anything else reads it.
"""
from ..utils.errors import InputError
from ..utils.image_header import jpeg_file_is_complete, read_image_header


class IncompleteFileError(InputError, ValueError):
    """A page image or GT file is empty, truncated or corrupt."""


def check_file_complete(path: str, role: str = 'image') -> None:
    """Raise :class:`IncompleteFileError` naming ``path`` if it is cut short.

    JPEG files must reach their end-of-image marker
    (:func:`~mmseg_pixdiva.utils.image_header.jpeg_is_complete`) and PNG
    files must end with their IEND chunk. Other formats (and files that
    are not images at all) are left to their decoder, which reports them.

    Args:
        path (str): The file.
        role (str): ``'image'`` or ``'GT'``, named in the message.

    Raises:
        IncompleteFileError: Naming the file and what is wrong.
        InputError: If the file cannot be read (from
            :func:`~mmseg_pixdiva.utils.image_header.read_image_header`).
    """
    header = read_image_header(path)
    if header.format == 'JPEG' and not jpeg_file_is_complete(path):
        raise IncompleteFileError(
            f'{path}: truncated or corrupt JPEG {role} (no end-of-image '
            'marker); decoding would fill the missing rows with grey')
    if header.format == 'PNG' and not header.complete:
        raise IncompleteFileError(
            f'{path}: truncated or corrupt PNG {role} (it does not end with '
            'the IEND chunk)')
