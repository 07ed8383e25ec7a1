"""Draw the README picture of the colour visualisation from a fake page.

A synthetic manuscript-like page (no real data): parchment, two columns of
main text, a comment column, a red decorated initial. The "prediction" is
the GT with typical mistakes. Run from the repository root:

    python docs/images/make_visualization_example.py
"""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mmseg_pixdiva.datasets.encoding import (  # noqa: E402
    BOUNDARY_RED_BIT, classes_to_gt_rgb, hisdb_class_name, hisdb_palette)
from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402
from mmseg_pixdiva.visualization import (  # noqa: E402
    legend_image, page_pictures, side_by_side)

VALUES = [1, 2, 4, 8]  # background, comment, decoration, main text
HEIGHT, WIDTH = 420, 300


def fake_page(seed: int = 3):
    """Scan (RGB) and GT class map of a simple drawn page."""
    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, HEIGHT)[:, None]
    scan = np.empty((HEIGHT, WIDTH, 3), np.float64)
    shade = 1.0 - 0.08 * rows - 0.05 * np.linspace(0, 1, WIDTH)[None, :]
    for channel, base in enumerate((236, 222, 190)):  # parchment
        scan[..., channel] = base * shade
    classes = np.zeros((HEIGHT, WIDTH), np.uint8)

    def ink(top, left, bottom, right, cls, colour, density):
        # Words of vertical pen strokes with gaps between them.
        strokes = np.zeros((bottom - top, right - left), bool)
        x = 0
        while x < right - left:
            length = int(rng.integers(6, 30 if density < 0.3 else 40))
            strokes[:, x:x + length:3] = True
            strokes[:, x + 1:x + length:3] = True
            x += length + int(rng.integers(4, 8))
        if density > 0.3:  # the initial: a filled block
            strokes[:] = True
        region = scan[top:bottom, left:right]
        region[strokes] = colour
        classes[top:bottom, left:right][strokes] = cls

    for line in range(14):  # main text lines in the main column
        top = 60 + line * 24
        ink(top, 60, top + 9, 230, 3, (60, 40, 30), 0.18)
    for line in range(10):  # a narrower comment column in the margin
        top = 80 + line * 26
        ink(top, 245, top + 6, 290, 1, (90, 70, 60), 0.14)
    ink(58, 20, 118, 52, 2, (170, 40, 35), 0.45)  # decorated initial
    return np.clip(scan, 0, 255).astype(np.uint8), classes


def fake_prediction(classes: np.ndarray) -> np.ndarray:
    """The GT with the mistakes a young model makes."""
    pred = classes.copy()
    pred[130:140, 245:290][pred[130:140, 245:290] == 1] = 3  # comment->text
    pred[300:310, 60:230][pred[300:310, 60:230] == 3] = 0  # missed line
    stains = np.zeros_like(classes, bool)
    stains[20:30, 100:160] = True  # a stain taken for text
    pred[stains & (classes == 0)] = 3
    return pred


def main(out: Path = Path(__file__).resolve().parent
         / 'visualization_example.png') -> None:
    scan, classes = fake_page()
    gt_rgb = classes_to_gt_rgb(classes, VALUES)
    # Boundary bit on the pixels next to the ink, as in DIVA-HisDB GTs.
    ink = classes > 0
    near = np.zeros_like(ink)
    near[1:] |= ink[:-1]
    near[:-1] |= ink[1:]
    gt_rgb[near & ~ink, 0] |= BOUNDARY_RED_BIT
    palette = hisdb_palette(VALUES)
    pictures = page_pictures(fake_prediction(classes), palette, VALUES,
                             gt_rgb=gt_rgb, error_map=True)
    tiles = [scan, pictures['gt'], pictures['pred'], pictures['errors']]
    titles = ['scan', '<stem>_gt.png', '<stem>_pred.png',
              '<stem>_errors.png']
    panel = side_by_side(tiles, titles, max_size=900,
                         nearest=[False, True, True, True])
    legend = legend_image([hisdb_class_name(v) for v in VALUES], palette,
                          title='legend.png', font_size=14, swatch=16)
    height = max(panel.shape[0], legend.shape[0])
    canvas = np.full((height, panel.shape[1] + legend.shape[1] + 8, 3), 255,
                     np.uint8)
    canvas[:panel.shape[0], :panel.shape[1]] = panel
    canvas[:legend.shape[0], panel.shape[1] + 8:] = legend
    atomic_write_image(out, canvas, compression=9)
    print(f'{out}: {canvas.shape[1]}x{canvas.shape[0]}, '
          f'{out.stat().st_size // 1024} KiB')


if __name__ == '__main__':
    main()
