"""Moved to :mod:`mmseg_pixdiva.datasets.page_headers` (pure, beside the
crop protocol); these names stay importable from here for code
written against the earlier layout."""
from ..page_headers import (PageHeaderError,  # noqa: F401
                            PageSizeMismatchError, check_pair_size,
                            header_size, size_mismatch_message)
