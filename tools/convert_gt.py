"""Convert colour or palette GTs to DIVA-HisDB blue-channel GTs.

    python tools/convert_gt.py GT.png [MORE.png | FOLDER ...] \\
        --mapping mapping.json --out-dir OUT

For every input ``<stem>.png`` (RGB with one colour per class, or a palette
/ 8-bit grey image with one index per class) it writes ``OUT/<stem>.png``:
RGB with blue = the class's DIVA-HisDB bits (``mapping.json``, see
docs/page_xml.md), red = green = 0 (no boundary flags: the source has
none). A palette image is read by index when the mapping has ``indices``,
else by its colours. A colour or index missing from the mapping stops the
run with its value, pixel count and file (the files converted before it
stay, each complete: pages are converted one at a time to keep memory
bounded). Lossy (JPEG) inputs and
transparency are refused; an output that is an input is refused. Bad
input: ``error: ...``, exit status 2.
"""
import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

# Runnable as `python tools/convert_gt.py` from a checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from mmseg_pixdiva.fileio.colour_gt import (ColourMapping,  # noqa: E402
                                            ColourMappingError,
                                            colours_to_blue, indices_to_blue,
                                            load_colour_mapping)
from mmseg_pixdiva.fileio.inputs import (  # noqa: E402
    CONVERTER_SOFTWARE, collect_files, is_converter_output)
from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402
from mmseg_pixdiva.utils.output_guard import (  # noqa: E402
    refuse_foreign_files, refuse_inputs)
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa: E402

SUFFIXES = ('.png', '.bmp', '.gif', '.tif', '.tiff')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Colour / palette GTs -> DIVA-HisDB blue-channel GTs.')
    parser.add_argument('inputs', nargs='+', help='GT files or folders')
    parser.add_argument('--mapping', required=True,
                        help='JSON: colours and/or palette indices -> class')
    parser.add_argument('--out-dir', required=True,
                        help='folder for the converted <stem>.png')
    return parser.parse_args(argv)


def convert_image(path: Path, mapping: ColourMapping) -> np.ndarray:
    """The blue values of one colour / palette GT."""
    from PIL import Image, UnidentifiedImageError
    try:
        image = Image.open(path)
        image.load()
    except (OSError, UnidentifiedImageError) as error:
        raise ColourMappingError(f'{path}: cannot read image ({error})') \
            from None
    if image.format == 'JPEG':
        raise ColourMappingError(
            f'{path}: JPEG; lossy compression changes class colours. '
            f'Convert the lossless original')
    if 'transparency' in image.info or image.mode in ('RGBA', 'LA', 'PA'):
        alpha = np.asarray(image.convert('RGBA'))[..., 3]
        if (alpha != 255).any():
            raise ColourMappingError(
                f'{path}: {int(np.count_nonzero(alpha != 255))} transparent '
                f'pixels; their class is ambiguous')
    if image.mode in ('P', 'L') and mapping.indices:
        return indices_to_blue(np.asarray(image), mapping, str(path))
    if not mapping.colours:
        raise ColourMappingError(
            f'{path}: a {image.mode} image, but the mapping '
            f'{mapping.source} has no "colours" (only "indices", which '
            f'serve palette and 8-bit grey images)')
    return colours_to_blue(np.asarray(image.convert('RGB')), mapping,
                           str(path))


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    mapping = load_colour_mapping(args.mapping)
    files = collect_files(args.inputs, SUFFIXES, 'GT image')
    out_dir = Path(args.out_dir)
    outputs = [out_dir / f'{path.stem}.png' for path in files]
    refuse_inputs(outputs, [('GT', path) for path in files] +
                  [('mapping file', args.mapping)])
    refuse_foreign_files(outputs, is_converter_output, 'tools/convert_gt.py')
    for path, out in zip(files, outputs):
        blue = convert_image(path, mapping)
        rgb = np.zeros(blue.shape + (3, ), np.uint8)
        rgb[..., 2] = blue
        atomic_write_image(out, rgb, software=CONVERTER_SOFTWARE)
        print(f'{path} -> {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
