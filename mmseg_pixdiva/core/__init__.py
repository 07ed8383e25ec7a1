"""The domain core: the label encoding (bit flags, boundary bit, label
values, class names, palettes, conversions) and the input-error base class.

The bottom room of the package: it imports nothing else of it (numpy only),
and every other room may import it. See docs/architecture.md.
"""
