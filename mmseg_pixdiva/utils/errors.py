"""The project's input errors, and how the command-line tools report them."""
import functools
import sys
from typing import Callable


class InputError(Exception):
    """Bad input (a file, a folder, a setting) that the message names.

    The message says what is wrong and where, so the tools print it as
    ``error: <message>`` and exit with status 2 instead of a traceback,
    which would bury it under library frames. The project's input errors
    derive from this class (and from ``ValueError``, as they always did).
    """


class UsageError(InputError, ValueError):
    """Arguments that cannot work together or name something unusable
    (e.g. two class names for three label values)."""


#: What the tools report as input errors: ours, and the built-in ones that
#: name the missing path.
INPUT_ERRORS = (InputError, FileNotFoundError, NotADirectoryError)


def exit_on_input_error(main: Callable[..., object]) -> Callable[..., int]:
    """Wrap a tool's ``main``: an input error prints ``error: ...`` on
    stderr and returns 2; anything else (a bug) keeps its traceback.

    Args:
        main: The tool's entry point; its return value is passed on
            (``None`` becomes 0).

    Returns:
        The wrapped entry point.
    """
    @functools.wraps(main)
    def wrapper(*args, **kwargs) -> int:
        try:
            result = main(*args, **kwargs)
        except INPUT_ERRORS as error:
            print(f'error: {error}', file=sys.stderr, flush=True)
            return 2
        return 0 if result is None else int(result)
    return wrapper
