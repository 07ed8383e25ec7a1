"""Render PAGE XML (2013 or 2019) with its scan as DIVA-HisDB blue-channel GT.

    python tools/page_to_gt.py PAGE.xml [MORE.xml | FOLDER ...] \\
        --out-dir OUT [--image-dir SCANS] [--classes mapping.json] \\
        [--boundary class|background] [--block 201] [--offset 0]

For every ``<stem>.xml`` it writes ``OUT/<stem>.png``: inside the polygons
(filled by Java's ``Polygon.contains`` rule, as DIVA-HisDB drew its GTs)
of each class (text lines where a ``TextRegion`` has them, else the region;
classes from the overridable table of ``mmseg_pixdiva/fileio/page_classes``
or ``--classes``), the ink pixels of the scan carry the class bit in blue
(overlaps OR-ed) and the other pixels the class bit plus red bit 7
(DIVA-HisDB's boundary flag; ``--boundary background`` writes them as
(128, 0, 1), the older GT style); outside, background (blue 1). Ink is a
local (Gaussian-weighted mean) threshold of the grey scan. The scan is
``Page/@imageFilename`` in ``--image-dir`` (default: the PAGE file's
folder), else ``<stem>.<any image suffix>`` there; its size must be the
PAGE file's. Files are written atomically; an output that is an input is
refused before anything is written. Bad input: ``error: ...`` naming the
file and the element, exit status 2.
"""
import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence, Tuple

# Runnable as `python tools/page_to_gt.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmseg_pixdiva.datasets.pairing import IMAGE_SUFFIXES  # noqa: E402
from mmseg_pixdiva.fileio.binarize import (DEFAULT_BLOCK,  # noqa: E402
                                           DEFAULT_OFFSET, binarize_ink)
from mmseg_pixdiva.fileio.inputs import (  # noqa: E402
    CONVERTER_SOFTWARE, ConverterInputError, collect_files,
    is_converter_output)
from mmseg_pixdiva.fileio.page_classes import (PageClassTable,  # noqa: E402
                                               load_class_table)
from mmseg_pixdiva.fileio.page_gt import (BOUNDARY_STYLES,  # noqa: E402
                                          page_to_gt_rgb)
from mmseg_pixdiva.fileio.page_xml import (PageDocument,  # noqa: E402
                                           read_page)
from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402
from mmseg_pixdiva.utils.output_guard import (  # noqa: E402
    refuse_foreign_files, refuse_inputs)
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='PAGE XML + scan -> DIVA-HisDB blue-channel GT.')
    parser.add_argument('inputs', nargs='+',
                        help='PAGE XML files or folders of them')
    parser.add_argument('--out-dir', required=True,
                        help='folder for the <stem>.png GTs')
    parser.add_argument('--image-dir',
                        help='folder of the scans (default: beside each '
                        'PAGE file)')
    parser.add_argument('--classes',
                        help='JSON class mapping that overrides or extends '
                        'the default table (see docs/page_xml.md)')
    parser.add_argument('--boundary', choices=BOUNDARY_STYLES,
                        default='class',
                        help='parchment inside regions: class bits + red 128 '
                        '(default) or (128,0,1)')
    parser.add_argument('--block', type=int, default=DEFAULT_BLOCK,
                        help='window (odd, pixels) of the local ink '
                        f'threshold (default {DEFAULT_BLOCK})')
    parser.add_argument('--offset', type=float, default=DEFAULT_OFFSET,
                        help='ink is darker than the local mean minus this '
                        f'(default {DEFAULT_OFFSET})')
    return parser.parse_args(argv)


def find_scan(page_path: Path, document: PageDocument,
              image_dir: Optional[str]) -> Path:
    """The scan of a PAGE file (see the module docstring)."""
    folder = Path(image_dir) if image_dir else page_path.parent
    if document.image_filename:
        named = folder / Path(document.image_filename).name
        if named.is_file():
            return named
    for suffix in IMAGE_SUFFIXES:
        for candidate in (folder / f'{page_path.stem}{suffix}',
                          folder / f'{page_path.stem}{suffix.upper()}'):
            if candidate.is_file():
                return candidate
    raise ConverterInputError(
        f'{page_path}: no scan for it in {folder} (looked for '
        f'"{document.image_filename}" and {page_path.stem}.<image suffix>)')


def check_scan_size(scan: Path, document: PageDocument,
                    size: Optional[Tuple[int, int]] = None) -> None:
    """Refuse a scan whose ``(W, H)`` differs from the PAGE file's; without
    ``size``, it is read from the file's header (no decoding), turned by its
    EXIF orientation as the decoder turns the page."""
    if size is None:
        from mmseg_pixdiva.utils.image_header import (PageHeaderError,
                                                      header_size)
        try:
            height, width = header_size(scan, apply_orientation=True)
        except PageHeaderError as error:
            # The header reader's message names the file first.
            detail = str(error).replace(f'{scan}: ', '', 1)
            raise ConverterInputError(
                f'{scan}: cannot read the scan ({detail})') from None
        size = (width, height)
    if tuple(size) != (document.width, document.height):
        raise ConverterInputError(
            f'{scan}: scan size {size[0]}x{size[1]} differs from the Page '
            f'imageWidth x imageHeight {document.width}x{document.height} '
            f'of {document.source}')


def read_grey_scan(scan: Path, document: PageDocument):
    """The scan as ``HxW`` grey, checked against the PAGE size."""
    import cv2
    grey = cv2.imread(str(scan), cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise ConverterInputError(f'{scan}: cannot decode the scan')
    check_scan_size(scan, document, (grey.shape[1], grey.shape[0]))
    return grey


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    table = load_class_table(args.classes) if args.classes \
        else PageClassTable()
    files = collect_files(args.inputs, ('.xml', ), 'PAGE XML')
    out_dir = Path(args.out_dir)
    # Parse everything, find every scan and check its size first: bad input
    # stops the run before anything is written.
    documents = [read_page(path) for path in files]
    scans = [find_scan(path, document, args.image_dir)
             for path, document in zip(files, documents)]
    for scan, document in zip(scans, documents):
        check_scan_size(scan, document)
    outputs = [out_dir / f'{path.stem}.png' for path in files]
    refuse_inputs(outputs, [('PAGE file', path) for path in files] +
                  [('scan', scan) for scan in scans] +
                  [('class table', args.classes)])
    refuse_foreign_files(outputs, is_converter_output, 'tools/page_to_gt.py')
    for path, document, scan, out in zip(files, documents, scans, outputs):
        grey = read_grey_scan(scan, document)
        ink = binarize_ink(grey, args.block, args.offset)
        atomic_write_image(out, page_to_gt_rgb(document, ink, table,
                                               args.boundary),
                           software=CONVERTER_SOFTWARE)
        print(f'{path} + {scan} -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
