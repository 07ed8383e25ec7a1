"""The base class of the project's input errors (no imports: the floor)."""


class InputError(Exception):
    """Bad input (a file, a folder, a setting) that the message names.

    The message says what is wrong and where, so the tools print it as
    ``error: <message>`` and exit with status 2 instead of a traceback,
    which would bury it under library frames. The project's input errors
    derive from this class (and from ``ValueError``, as they always did).
    """
