"""The embedded demo: synthetic manuscripts -> train -> full-page test.

Generates a small synthetic DIVA-HisDB dataset (no download), trains the
tiny UNet of ``configs/demo_synthetic_unet.py`` on the CPU, tests it on the
full-resolution test pages with max-merged sliding windows, and prints where
the checkpoint, the GT-format predictions, the colour pictures and the DIVA
evaluator scores are.

    python tools/demo.py --work-dir work_dirs/demo        (what `make demo` runs)
"""
import argparse
import json
import os.path as osp
import subprocess
import sys

HERE = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, osp.join(HERE, '..'))

from mmseg_pixdiva.datasets.synthetic import write_synthetic_dataset  # noqa
from mmseg_pixdiva.utils.errors import exit_on_input_error  # noqa

CONFIG = osp.join(HERE, '..', 'configs', 'demo_synthetic_unet.py')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, default=None,
                        help='training iterations (default: the config)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def run(*args: str) -> None:
    """Run one of our tools; stop the demo if it fails."""
    command = [sys.executable, *args]
    print('\n$ ' + ' '.join(command), flush=True)
    subprocess.run(command, check=True)


def refuse_unmarked_outputs(predictions: str, pictures: str,
                            scores: str) -> None:
    """Before training: the test step (step 3) replaces only its own files
    of an earlier demo, so a file there it cannot tell as its own (a
    user's, or one of a version before the marks) would stop the demo only
    after minutes of training."""
    from pathlib import Path

    from mmseg_pixdiva.evaluation.layout_report import is_report_file
    from mmseg_pixdiva.utils.gt_format import is_prediction_file
    from mmseg_pixdiva.utils.output_guard import refuse_foreign_files
    from mmseg_pixdiva.visualization import is_picture_file
    for folder, pattern, is_own in ((predictions, '*.png', is_prediction_file),
                                    (pictures, '*.png', is_picture_file),
                                    (scores, '*', is_report_file)):
        refuse_foreign_files(sorted(Path(folder).glob(pattern)), is_own,
                             'the demo')


@exit_on_input_error
def main(argv=None) -> int:
    args = parse_args(argv)
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data')
    predictions = osp.join(work_dir, 'predictions')
    pictures = osp.join(work_dir, 'pictures')
    scores = osp.join(work_dir, 'scores')
    refuse_unmarked_outputs(predictions, pictures, scores)
    print(f'1/3 synthetic manuscripts -> {data_root}', flush=True)
    write_synthetic_dataset(data_root, n_train=8, n_val=2, n_test=2,
                            height=512, width=384, test_height=1024,
                            test_width=768, seed=args.seed)
    options = [f'randomness.seed={args.seed}']
    if args.iters:
        # The poly decay ends with training, as in the config.
        options += [f'train_cfg.max_iters={args.iters}',
                    f'param_scheduler.0.end={args.iters}']
    print('2/3 training the tiny UNet on crops of the pages', flush=True)
    run(osp.join(HERE, 'train.py'), CONFIG, '--work-dir', work_dir,
        '--data-root', data_root, '--cfg-options', *options)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    print('3/3 testing on the full-resolution test pages', flush=True)
    run(osp.join(HERE, 'test.py'), CONFIG, checkpoint, '--work-dir', work_dir,
        '--data-root', data_root, '--out', predictions, '--show-dir',
        pictures, '--cfg-options', *options,
        f'test_evaluator.0.output_dir={scores}')
    with open(osp.join(scores, 'summary.json')) as f:
        summary = json.load(f)
    mean = summary['mean_of_pages']
    print('\nDemo finished.')
    print(f'  checkpoint:   {checkpoint}')
    print(f'  predictions:  {predictions}  (GT format: class in the blue '
          'channel)')
    print(f'  pictures:     {pictures}  (<page>_pred.png, _gt.png, '
          '_errors.png, legend)')
    print(f'  scores:       {scores}/summary.json, pages.csv')
    print(f"  DIVA evaluator on the test pages: mean IU {mean['mean_iu']:.4f}"
          f", exact match {mean['exact_match']:.4f}, "
          f"F1 {mean['mean_f1']:.4f}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
