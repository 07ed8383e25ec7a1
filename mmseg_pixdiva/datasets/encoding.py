"""Moved to :mod:`mmseg_pixdiva.core.encoding` (the domain core, below
every other room).

Kept as a re-export because users import the label helpers from here
(docs/dataset.md named this module before the move); the package itself
imports :mod:`mmseg_pixdiva.core.encoding`.
"""
from ..core.encoding import *  # noqa: F401,F403
