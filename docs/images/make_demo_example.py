"""Make the README picture from the demo's own outputs (a synthetic page).

Run `make demo` first, then, from the repository root:

    python docs/images/make_demo_example.py [--demo-dir work_dirs/demo]

It takes the first synthetic test page, the colour pictures that
`tools/test.py --show-dir` wrote for it (GT, prediction, evaluator error
map) and the legend, cuts the same region out of each so the strokes stay
visible, and joins them into `docs/images/demo_example.png`. No real
manuscript is used.
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mmseg_pixdiva.utils.atomic import atomic_write_image  # noqa: E402
from mmseg_pixdiva.visualization import side_by_side  # noqa: E402


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'{path}: missing; run `make demo` first')
    return image[..., ::-1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--demo-dir', default=str(REPO / 'work_dirs/demo'))
    parser.add_argument('--out', default=str(Path(__file__).parent
                                             / 'demo_example.png'))
    args = parser.parse_args(argv)
    demo = Path(args.demo_dir)
    page = sorted((demo / 'data' / 'test' / 'data').iterdir())[0]
    pictures = demo / 'pictures'
    tiles = [read_rgb(page)] + [
        read_rgb(pictures / f'{page.stem}_{kind}.png')
        for kind in ('gt', 'pred', 'errors')]
    # The upper-left part of the page: a decorated initial, main text and
    # a marginal comment at a readable scale.
    height, width = tiles[0].shape[:2]
    region = (slice(0, height // 2), slice(0, width // 2))
    tiles = [tile[region] for tile in tiles]
    panel = side_by_side(
        tiles, ['synthetic scan', '<page>_gt.png', '<page>_pred.png',
                '<page>_errors.png'],
        max_size=960, nearest=[False, True, True, True])
    legend = read_rgb(pictures / 'legend.png')
    scale = min(1.0, panel.shape[0] / legend.shape[0])
    legend = cv2.resize(legend, None, fx=scale, fy=scale,
                        interpolation=cv2.INTER_AREA)
    canvas = np.full((panel.shape[0], panel.shape[1] + legend.shape[1] + 8,
                      3), 255, np.uint8)
    canvas[:, :panel.shape[1]] = panel
    canvas[:legend.shape[0], panel.shape[1] + 8:] = legend
    atomic_write_image(args.out, canvas, compression=9)
    print(f'{args.out}: {canvas.shape[1]}x{canvas.shape[0]}')


if __name__ == '__main__':
    main()
