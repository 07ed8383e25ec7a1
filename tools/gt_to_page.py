"""Write the regions of blue-channel GTs or predictions as PAGE XML 2019.

    python tools/gt_to_page.py GT_OR_PRED.png [MORE.png | FOLDER ...] \\
        --out-dir OUT [--image-suffix .jpg] [--tolerance 2] [--join 24]

For every ``<stem>.png`` it writes ``OUT/<stem>.xml``: one region per
connected area of each DIVA-HisDB class (main text ``TextRegion`` type
``paragraph``, comment ``TextRegion`` type ``marginalia``, decoration
``GraphicRegion`` type ``decoration``), polygons in full-page pixels,
simplified within ``--tolerance`` pixels yet enclosing every pixel of their
class, valid and inside the page; ``imageFilename`` is ``<stem><suffix>``
and the size is the PNG's. Files are written atomically; an output that
would replace an input is refused before anything is written. Bad input:
``error: ...`` naming the file, exit status 2.
"""
import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

# Runnable as `python tools/gt_to_page.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mmseg_pixdiva.evaluation.layout_io import read_label_image  # noqa: E402
from mmseg_pixdiva.fileio.inputs import collect_files  # noqa: E402
from mmseg_pixdiva.fileio.page_gt import gt_to_page_document  # noqa: E402
from mmseg_pixdiva.fileio.page_xml import (is_own_page_file,  # noqa: E402
                                          page_xml_bytes)
from mmseg_pixdiva.fileio.polygons import (DEFAULT_JOIN,  # noqa: E402
                                           DEFAULT_SCALE, DEFAULT_TOLERANCE)
from mmseg_pixdiva.utils.atomic import atomic_write_bytes  # noqa: E402
from mmseg_pixdiva.utils.output_guard import (  # noqa: E402
    refuse_foreign_files, refuse_inputs)
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402

#: Formats the evaluator's label reader (``read_label_image``) decodes; not
#: the datasets' ``GT_SUFFIXES``, which include GIF.
LABEL_SUFFIXES = ('.png', '.bmp', '.tif', '.tiff')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Blue-channel GTs or predictions -> PAGE XML 2019.')
    parser.add_argument('inputs', nargs='+',
                        help='GT-format PNG files or folders of them')
    parser.add_argument('--out-dir', required=True,
                        help='folder for the <stem>.xml files')
    parser.add_argument('--image-suffix', default='.jpg',
                        help='suffix of the scans named in imageFilename '
                        '(default .jpg)')
    parser.add_argument('--tolerance', type=float, default=DEFAULT_TOLERANCE,
                        help='polygon simplification tolerance in pixels '
                        f'(default {DEFAULT_TOLERANCE})')
    parser.add_argument('--join', type=int, default=DEFAULT_JOIN,
                        help='pixels closer than this form one region '
                        f'(default {DEFAULT_JOIN})')
    parser.add_argument('--scale', type=int, default=DEFAULT_SCALE,
                        help='trace outlines on the mask reduced by this '
                        f'factor (default {DEFAULT_SCALE}; 1 = exact)')
    return parser.parse_args(argv)


def convert_file(path: Path, args: argparse.Namespace) -> bytes:
    """PAGE XML bytes of one GT-format image."""
    image = read_label_image(path, 'GT')
    blue = image[..., 2] if image.ndim == 3 else image
    document = gt_to_page_document(
        blue, f'{path.stem}{args.image_suffix}', args.tolerance, args.join,
        args.scale, source=str(path))
    return page_xml_bytes(document)


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    files = collect_files(args.inputs, LABEL_SUFFIXES, 'GT-format image')
    out_dir = Path(args.out_dir)
    outputs = [out_dir / f'{path.stem}.xml' for path in files]
    refuse_inputs(outputs, [('GT', path) for path in files])
    refuse_foreign_files(outputs, is_own_page_file, 'tools/gt_to_page.py')
    for path, out in zip(files, outputs):
        atomic_write_bytes(out, convert_file(path, args))
        print(f'{path} -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
