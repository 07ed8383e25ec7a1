"""PAGE XML converters on the real DIVA-HisDB pages: the numbers of
docs/benchmarks.md ("PAGE XML converters").

    python benchmarks/page_xml.py agreement [--out-dir work_dirs/page_xml]
    python benchmarks/page_xml.py coverage
    python benchmarks/page_xml.py roundtrip [--repeat 3]

``agreement``: PAGE -> GT on the pages with scan, PAGE file and official GT
(CB55 0059v, CSG18 096); the converted GT is scored as a prediction against
the official one with the DIVA evaluator (per-class IU, mean IU), the ink
(foreground without boundary flag) is compared with the official ink, and
the evaluator's error maps go to ``--out-dir``.
``coverage``: for the 38 CB55 PAGE/GT pairs, the share of each official GT
class's pixels inside a PAGE region of that class, and the region pixels
outside the class (no scans needed).
``roundtrip``: GT -> PAGE -> raster on real GTs and a prediction: share of
each class's pixels inside the written regions of that class, the regions'
area over the class's pixels, schema validity, and the time per page (read,
convert, write).

Reads ``../shared/data`` (``PIXDIVA_SHARED`` overrides the shared folder).
"""
import argparse
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's mmseg_pixdiva first

SHARED = Path(os.environ.get('PIXDIVA_SHARED', ROOT.parent / 'shared'))
DATA = SHARED / 'data'
SCHEMA_2019 = DATA / 'page-xml-schema' / 'pagecontent-2019-07-15.xsd'
CB55 = 'e-codices_fmb-cb-0055_{}_max'
CSG18_096 = 'e-codices_csg-0018_096_max'

#: (name, PAGE file, scan, official GT, GT variants compared too).
AGREEMENT_PAGES = (
    ('CB55 0059v', DATA / 'hisdb-samples/cb55' / f'{CB55.format("0059v")}.xml',
     DATA / 'hisdb-samples/cb55' / f'{CB55.format("0059v")}.jpg',
     [DATA / 'hisdb-samples/cb55' / f'{CB55.format("0059v")}.png']),
    ('CSG18 096', DATA / 'hisdb-pages/CSG18/page-xml' / f'{CSG18_096}.xml',
     DATA / 'hisdb-samples/csg18' / f'{CSG18_096}.jpg',
     [DATA / 'hisdb-pages/CSG18/gt-variants' / f'{CSG18_096}.png',
      DATA / 'hisdb-samples/csg18' / f'{CSG18_096}.png']),
)

CLASSES = ((8, 'main text'), (2, 'comment'), (4, 'decoration'))


def _read_rgb(path: Path) -> np.ndarray:
    from mmseg_pixdiva.evaluation.layout_io import read_label_image
    return read_label_image(path, 'GT')


def agreement(out_dir: Path) -> None:
    import cv2

    from mmseg_pixdiva.evaluation.layout_analysis import (
        error_visualization, evaluate_layout)
    from mmseg_pixdiva.fileio.binarize import binarize_ink
    from mmseg_pixdiva.fileio.page_gt import page_to_gt_rgb
    from mmseg_pixdiva.fileio.page_xml import read_page
    out_dir.mkdir(parents=True, exist_ok=True)
    print('| page | official GT | IU background | IU comment | '
          'IU decoration | IU main text | mean IU | ink IoU | ink P | '
          'ink R |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for name, page_path, scan_path, gt_paths in AGREEMENT_PAGES:
        document = read_page(page_path)
        grey = cv2.imread(str(scan_path), cv2.IMREAD_GRAYSCALE)
        ink = binarize_ink(grey)
        for gt_path in gt_paths:
            official = _read_rgb(gt_path)
            # The old CSG18 GT writes parchment as (128, 0, 1); render in
            # the style of the GT compared with.
            old_style = bool(np.any((official[..., 0] >= 128)
                                    & (official[..., 2] == 1)))
            converted = page_to_gt_rgb(
                document, ink, boundary='background' if old_style
                else 'class')
            scores = evaluate_layout(official, converted)
            iu = scores['per_class']['iu']
            official_ink = (official[..., 2] != 1) & \
                (official[..., 0] < 128)
            ours = (converted[..., 2] != 1) & (converted[..., 0] < 128)
            both = int(np.count_nonzero(ours & official_ink))
            union = int(np.count_nonzero(ours | official_ink))
            print(f'| {name} | {gt_path.parent.name}/{gt_path.name} | '
                  f'{iu[0]:.4f} | {iu[1]:.4f} | {iu[2]:.4f} | {iu[3]:.4f} | '
                  f'{scores["mean_iu"]:.4f} | {both / union:.4f} | '
                  f'{both / max(1, np.count_nonzero(ours)):.4f} | '
                  f'{both / max(1, np.count_nonzero(official_ink)):.4f} |')
            errors = error_visualization(official, converted)
            picture = out_dir / f'{gt_path.parent.name}_{gt_path.stem}' \
                '_errors.png'
            cv2.imwrite(str(picture), np.ascontiguousarray(errors[..., ::-1]))
    print(f'\nerror maps (DIVA evaluator colours) in {out_dir}')


def coverage() -> None:
    from mmseg_pixdiva.fileio.page_gt import region_coverage
    from mmseg_pixdiva.fileio.page_xml import read_page
    page_dir = DATA / 'hisdb-pages/CB55/page-xml'
    gt_dir = DATA / 'hisdb-pages/CB55/gt-only'
    pairs = [(p, gt_dir / f'{p.stem}.png') for p in sorted(
        page_dir.glob('*.xml')) if (gt_dir / f'{p.stem}.png').is_file()]
    # Per class: GT pixels, those inside a region of the class, region
    # pixels outside the class (the PAGE areas rasterised by Java's rule).
    totals = {bit: [0, 0, 0] for bit, _ in CLASSES}
    exact_pages = 0
    print('| page | main text | comment | decoration | region pixels '
          'outside the class (mt, c, d) |')
    print('|---|---|---|---|---|')
    for page_path, gt_path in pairs:
        blue = _read_rgb(gt_path)[..., 2]
        counts = region_coverage(read_page(page_path), blue)
        cells, extras = [], []
        for bit, _ in CLASSES:
            total, inside, extra = counts[bit]
            for i, v in enumerate(counts[bit]):
                totals[bit][i] += v
            cells.append(f'{inside / total:.6f}' if total else 'n/a')
            extras.append(str(extra))
        exact_pages += all(e == '0' for e in extras) and all(
            c in ('1.000000', 'n/a') for c in cells)
        print(f'| {page_path.stem} | ' + ' | '.join(cells) +
              f' | {", ".join(extras)} |')
    print(f'| **all {len(pairs)} pages (pixels pooled)** | ' + ' | '.join(
        f'**{totals[bit][1] / totals[bit][0]:.6f}**'
        for bit, _ in CLASSES) + ' | ' + ', '.join(
        str(totals[bit][2]) for bit, _ in CLASSES) + ' |')
    print('\nGT pixels outside their class\'s regions: ' + ', '.join(
        f'{name} {totals[bit][0] - totals[bit][1]} of {totals[bit][0]}'
        for bit, name in CLASSES))
    print(f'pages whose class areas equal the GT\'s exactly: {exact_pages} '
          f'of {len(pairs)}')


def roundtrip(repeat: int) -> None:
    from mmseg_pixdiva.fileio.page_gt import class_areas, gt_to_page_document
    from mmseg_pixdiva.fileio.page_xml import (page_xml_bytes, parse_page,
                                               schema_errors)
    from mmseg_pixdiva.fileio.polygons import covered_share
    from mmseg_pixdiva.utils.atomic import atomic_write_bytes
    samples = DATA / 'hisdb-samples/cb55'
    files = [samples / f'{CB55.format(p)}.png'
             for p in ('0059v', '0019r', '0032r', '0098v')]
    files.append(samples / f'{CB55.format("0098v")}.synthetic-prediction.png')
    print('| file | coverage main text | comment | decoration | '
          'area/pixels (mt, c, d) | regions | schema | read s | convert s | '
          'write s |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    out = Path('/tmp') / f'pixdiva_page_xml_bench_{os.getpid()}.xml'
    try:
        for path in files:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                image = _read_rgb(path)
                blue = np.ascontiguousarray(image[..., 2])
                t1 = time.perf_counter()
                document = gt_to_page_document(blue, f'{path.stem}.jpg')
                data = page_xml_bytes(document)
                t2 = time.perf_counter()
                atomic_write_bytes(out, data)
                t3 = time.perf_counter()
                times.append((t1 - t0, t2 - t1, t3 - t2))
            best = np.min(np.array(times), axis=0)
            areas = class_areas(parse_page(data))
            cover, ratio = [], []
            for bit, _ in CLASSES:
                pixels = (blue & bit) != 0
                area = areas.get(bit, np.zeros(blue.shape, bool))
                missed = int(np.count_nonzero(pixels & ~area))
                cover.append(f'{covered_share(pixels, area):.5f} '
                             f'({missed} missed)')
                ratio.append(f'{area.sum() / max(1, pixels.sum()):.2f}')
            valid = 'valid' if not schema_errors(data, SCHEMA_2019) \
                else 'INVALID'
            print(f'| {path.name} | ' + ' | '.join(cover) +
                  f' | {", ".join(ratio)} | {len(document.regions)} | '
                  f'{valid} | {best[0]:.2f} | {best[1]:.2f} | '
                  f'{best[2]:.3f} |')
    finally:
        out.unlink(missing_ok=True)
    print(f'\ntimes: best of {repeat}')


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest='command', required=True)
    agree = sub.add_parser('agreement')
    agree.add_argument('--out-dir', default='work_dirs/page_xml')
    sub.add_parser('coverage')
    trip = sub.add_parser('roundtrip')
    trip.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f'error: {DATA}: shared data not found (set PIXDIVA_SHARED)',
              file=sys.stderr)
        return 2
    if args.command == 'agreement':
        agreement(Path(args.out_dir))
    elif args.command == 'coverage':
        coverage()
    else:
        roundtrip(args.repeat)
    return 0


if __name__ == '__main__':
    sys.exit(main())
