"""The project's input errors, and how the command-line tools report them."""
import functools
import sys
from typing import Callable, Sequence

# The base class lives in the bottom room (core/), which the label encoding
# raises from too; it is the same class under this name.
from ..core.errors import InputError


class UsageError(InputError, ValueError):
    """Arguments that cannot work together or name something unusable
    (e.g. two class names for three label values)."""


def problem_list(headline: str, problems: Sequence[str]) -> str:
    """One message for several problems found in one pass: the headline,
    then each problem on its own indented line, so that the user mends
    them all at once instead of one per run.

    Args:
        headline (str): What could not be done, without the colon.
        problems (Sequence[str]): One message each (usually naming a file).
    """
    return '\n  '.join([f'{headline}:', *problems])


#: What the tools report as input errors: ours, and the built-in ones that
#: name the missing path.
INPUT_ERRORS = (InputError, FileNotFoundError, NotADirectoryError)


def input_error_message(error: BaseException) -> str:
    """The message of an input error, as its ``raise`` wrote it.

    A DataLoader worker (``num_workers >= 1``) sends its exception to the
    main process, where torch raises it again with the same type but the
    message ``Caught <Type> in DataLoader worker process N.`` followed by
    the worker's whole traceback. The original message is the end of that
    traceback, after ``<module>.<Type>: ``; it is returned instead, so the
    tools print the same one line whatever the worker count.

    Args:
        error (BaseException): The caught exception.

    Returns:
        str: Its message, unwrapped from torch's re-raise where it is one.
    """
    message = str(error)
    if not (message.startswith('Caught ')
            and '\nOriginal Traceback' in message):
        return message
    cls = type(error)
    name = cls.__qualname__ if cls.__module__ == 'builtins' \
        else f'{cls.__module__}.{cls.__qualname__}'
    # The last occurrence: a chained traceback ends with the raised one.
    start = message.rfind(f'\n{name}: ')
    if start < 0:
        return message
    return message[start + len(name) + 3:].rstrip('\n')


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
            print(f'error: {input_error_message(error)}', file=sys.stderr,
                  flush=True)
            return 2
        return 0 if result is None else int(result)
    return wrapper
