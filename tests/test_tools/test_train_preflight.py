"""tools/train.py and tools/test.py check every split, and where they will
write, before the runner.

Each bad input ends the tool with one ``error:`` line naming the file or
the config key, exit status 2, and no work dir: nothing was built, trained
or written.
"""
import hashlib
import shutil
from pathlib import Path

import cv2
import pytest

from mmseg_pixdiva.datasets.synthetic import write_synthetic_dataset

from test_cli_bad_inputs import DATA_ROOT_CACHES
from tool_loader import load_tool

REPO = Path(__file__).resolve().parents[2]
DEMO = str(REPO / 'configs' / 'demo_synthetic_unet.py')


@pytest.fixture(scope='module')
def pristine(tmp_path_factory):
    root = tmp_path_factory.mktemp('preflight') / 'data'
    write_synthetic_dataset(root, n_train=2, n_val=2, n_test=1, height=160,
                            width=128, seed=5, progress=False)
    return root


@pytest.fixture(scope='module')
def train_tool():
    return load_tool('train')


@pytest.fixture
def data_root(pristine, tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(pristine, root)
    return root


def _one_file(folder: Path) -> Path:
    return sorted(folder.iterdir())[0]


def _train(tool, data_root, tmp_path, capsys, *options):
    work_dir = tmp_path / 'work'
    overrides = ['--cfg-options', *options] if options else []
    code = tool.main([DEMO, '--work-dir', str(work_dir), '--data-root',
                      str(data_root), *overrides])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith('error: ') and 'Traceback' not in err
    assert not work_dir.exists()
    return err


def test_unknown_blue_value_in_a_val_gt(train_tool, data_root, tmp_path,
                                        capsys):
    gt_path = _one_file(data_root / 'val' / 'gt')
    gt = cv2.imread(str(gt_path))
    gt[:2, :3, 0] = 3  # blue 3: no class of the training set
    cv2.imwrite(str(gt_path), gt)
    err = _train(train_tool, data_root, tmp_path, capsys)
    assert err == (f'error: {gt_path}: blue values not in the class list '
                   '[1, 2, 4, 6, 8, 10, 12, 14]: blue=3 (6 pixels)\n')


def test_truncated_test_gt(train_tool, data_root, tmp_path, capsys):
    gt_path = _one_file(data_root / 'test' / 'gt')
    gt_path.write_bytes(gt_path.read_bytes()[:-40])
    err = _train(train_tool, data_root, tmp_path, capsys)
    assert err == (f'error: {gt_path}: truncated or corrupt PNG GT (it does '
                   'not end with the IEND chunk)\n')


def test_truncated_training_scan(train_tool, data_root, tmp_path, capsys):
    scan = _one_file(data_root / 'train' / 'data')
    assert scan.suffix == '.jpg'
    scan.write_bytes(scan.read_bytes()[:len(scan.read_bytes()) // 2])
    err = _train(train_tool, data_root, tmp_path, capsys)
    assert err.startswith(f'error: {scan}: truncated or corrupt JPEG image')
    assert err.count('\n') == 1


def test_empty_val_folder(train_tool, data_root, tmp_path, capsys):
    for folder in ('data', 'gt'):
        for path in (data_root / 'val' / folder).iterdir():
            path.unlink()
    err = _train(train_tool, data_root, tmp_path, capsys)
    assert err.startswith('error: val_dataloader.dataset: cannot pair images '
                          'and GTs')
    assert f'image folder {data_root}/val/data has no images' in err


@pytest.mark.parametrize('option, message', [
    ('train_dataloader.sampler.imgs_in_memory=0',
     'train_dataloader.sampler.imgs_in_memory must be at least 1, got 0'),
    ('val_dataloader.sampler.crops_per_image=0',
     'val_dataloader.sampler.crops_per_image must be at least 1, got 0'),
    ('model.decode_head.num_classes=0',
     "model.decode_head.num_classes must be a positive integer (or 'auto'), "
     'got 0'),
])
def test_bad_settings_name_their_key(train_tool, data_root, tmp_path, capsys,
                                     option, message):
    err = _train(train_tool, data_root, tmp_path, capsys, option)
    assert err == f'error: {message}\n'


def test_crop_larger_than_the_page_without_padding(train_tool, data_root,
                                                   tmp_path, capsys):
    err = _train(train_tool, data_root, tmp_path, capsys,
                 'train_dataloader.dataset.pipeline.0.crop_size=(200,100)',
                 'train_dataloader.dataset.pipeline.0.pad=False')
    assert err.startswith('error: train_dataloader.dataset: LoadPageCrop '
                          'crop_size (200, 100) (h, w) is larger than the '
                          f'page {data_root}/train/data/')
    assert '(160x128, HxW) (and 1 more pages) and pad=False' in err
    assert err.count('\n') == 1


def test_test_tool_checks_the_test_split(data_root, tmp_path, capsys):
    gt_path = _one_file(data_root / 'test' / 'gt')
    gt_path.write_bytes(gt_path.read_bytes()[:-40])
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'never read: the test split is checked first')
    work_dir = tmp_path / 'work'
    code = load_tool('test').main([DEMO, str(checkpoint), '--data-root',
                                   str(data_root), '--work-dir',
                                   str(work_dir)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f'error: {gt_path}: truncated')
    assert not work_dir.exists()


def test_good_data_passes_and_gts_are_decoded_once(train_tool, data_root,
                                                   monkeypatch):
    from mmseg_pixdiva.apis.preflight import check_config_inputs
    from mmseg_pixdiva.datasets import gt_values
    scanned = []
    real = gt_values.scan_blue_values
    monkeypatch.setattr(gt_values, 'scan_blue_values',
                        lambda paths: scanned.extend(paths) or real(paths))
    args = train_tool.parse_args([DEMO, '--data-root', str(data_root)])
    cfg = train_tool.build_config(args)
    check_config_inputs(cfg)
    # Every GT of the three splits once; a second check decodes nothing.
    assert sorted(Path(p).parent.parent.name for p in scanned) == \
        ['test', 'train', 'train', 'val', 'val']
    check_config_inputs(cfg)
    assert len(scanned) == 5


def test_a_missing_test_split_does_not_stop_training(train_tool, data_root,
                                                     monkeypatch):
    """Training does not read the test split: one that does not exist yet
    is skipped (logged); one that exists is checked (above)."""
    from mmseg_pixdiva.apis import preflight
    logged = []
    monkeypatch.setattr(preflight, 'print_log',
                        lambda message, **kwargs: logged.append(message))
    shutil.rmtree(data_root / 'test')
    cfg = train_tool.build_config(
        train_tool.parse_args([DEMO, '--data-root', str(data_root)]))
    preflight.check_config_inputs(cfg, optional=('test', ))
    assert logged == [
        f'test split not checked: {data_root}/test/data does not exist',
        'checked the pages and GTs: 2 train, 2 val']
    with pytest.raises(preflight.InputError, match='test/data does not '
                       'exist'):
        preflight.check_config_inputs(cfg)


# ----------------------------------------------------------------------
# tools/test.py replaces no file of the user's: its --out and --show-dir
# folders (and those of writing hooks the config enables) and its work dir.
# ----------------------------------------------------------------------
@pytest.fixture
def quiet_preflight(monkeypatch):
    """mmengine's logger keeps the stream of the first test that logged
    (closed by pytest afterwards); the pre-flight's log line, written when
    the data is fine, is not what these tests look at."""
    from mmseg_pixdiva.apis import preflight
    monkeypatch.setattr(preflight, 'print_log', lambda *args, **kwargs: None)


def _snapshot(folder: Path) -> dict:
    """Every file's hash, but the caches the dataset code keeps in the
    data root."""
    return {str(p.relative_to(folder)): hashlib.sha256(
        p.read_bytes()).digest() for p in sorted(folder.rglob('*'))
        if p.is_file() and p.name not in DATA_ROOT_CACHES}


def _test_refused(tmp_path, capsys, *argv, config=DEMO) -> str:
    """tools/test.py on ``argv`` (after config, checkpoint and data root):
    exit status 2, one error line, every byte under ``tmp_path`` as it
    was, no work dir. Returns the error line."""
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'never read: outputs are checked first')
    before = _snapshot(tmp_path)
    work_dir = tmp_path / 'work'
    argv = [str(config), str(checkpoint), '--data-root',
            str(tmp_path / 'data'), *map(str, argv)]
    if '--work-dir' not in argv:
        argv += ['--work-dir', str(work_dir)]
    code = load_tool('test').main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith('error: ') and err.count('\n') == 1, err
    assert _snapshot(tmp_path) == before
    assert not work_dir.exists()
    return err


@pytest.mark.parametrize('flag,name,hook', [
    ('--out', 'test_000.png', 'GTFormatPredictionHook'),
    ('--show-dir', 'test_000_pred.png', 'ColourVisualizationHook')])
def test_a_user_file_in_the_output_folder(data_root, tmp_path, capsys,
                                          quiet_preflight, flag, name, hook):
    mine = tmp_path / 'mine' / name
    mine.parent.mkdir()
    mine.write_bytes(b'my own file')
    err = _test_refused(tmp_path, capsys, flag, mine.parent)
    assert err.startswith(f'error: {mine}: refusing to replace it: it exists '
                          f'and was not written by {hook}')


@pytest.mark.parametrize('flag', ['--out', '--show-dir'])
def test_a_folder_of_the_dataset(data_root, tmp_path, capsys,
                                 quiet_preflight, flag):
    """The test GT folder, a folder below it, a folder of another split."""
    for folder, what in (
            (data_root / 'test' / 'gt', 'it is the test GT folder'),
            (data_root / 'test' / 'gt' / 'preds',
             'it lies inside the test GT folder'),
            (data_root / 'train' / 'data', 'it is the train image folder')):
        err = _test_refused(tmp_path, capsys, flag, folder)
        assert err.startswith(f'error: {folder}: refusing to write there: '
                              f'{what} {data_root}'), err


def test_a_hook_the_config_enables(data_root, tmp_path, capsys,
                                   quiet_preflight):
    """No flag needed: the config's own GTFormatPredictionHook."""
    mine = tmp_path / 'preds' / 'test_000.png'
    mine.parent.mkdir()
    mine.write_bytes(b'mine')
    config = tmp_path / 'configs' / 'with_preds.py'
    config.parent.mkdir()
    config.write_text(
        f'_base_ = [{DEMO!r}]\n'
        f"custom_hooks = [dict(type='GTFormatPredictionHook', "
        f'out_dir={str(mine.parent)!r})]\n')
    err = _test_refused(tmp_path, capsys, config=config)
    assert err.startswith(f'error: {mine}: refusing to replace it')


@pytest.mark.parametrize('option,name,folder', [
    ('prediction_dir', 'test_000.png', 'saved'),
    ('output_dir', 'summary.json', 'scores'),
    ('prediction_dir', None, 'data/test/data')])
def test_the_folders_of_the_diva_metric(data_root, tmp_path, capsys,
                                        quiet_preflight, option, name,
                                        folder):
    """DIVALayoutMetric's prediction_dir and output_dir: a user's file
    there, or a folder of the dataset, before the runner is built."""
    out = tmp_path / folder
    if name:
        out.mkdir()
        (out / name).write_bytes(b'mine')
    err = _test_refused(tmp_path, capsys, '--cfg-options',
                        f'test_evaluator.0.{option}={out}')
    if name:
        assert err.startswith(
            f'error: {out / name}: refusing to replace it: it exists and was'
            f' not written by DIVALayoutMetric({option})'), err
    else:
        assert err.startswith(f'error: {out}: refusing to write there: it '
                              'is the test image folder'), err


def test_a_work_dir_where_the_config_is(data_root, tmp_path, capsys):
    """mmengine dumps the config into the work dir under its own name
    (tools/train.py: the table of test_cli_bad_inputs.py)."""
    config = tmp_path / 'configs' / 'mine.py'
    config.parent.mkdir()
    config.write_text(f'_base_ = [{DEMO!r}]\n')
    err = _test_refused(tmp_path, capsys, '--work-dir', config.parent,
                        config=config)
    assert err == (f'error: {config}: refusing to write there: it is the '
                   f'config {config}; choose another output\n')
