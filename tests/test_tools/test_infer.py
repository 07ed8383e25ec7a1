"""tools/infer.py: outputs, resume, label-value sources and error cases."""
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import mmseg_pixdiva  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'test_models'))
from tiny_segmentor import build_tiny_model, tiny_model_cfg  # noqa: E402

CKPT_VALUES = [1, 2, 4, 8]
CONFIG_VALUES = [16, 32, 64, 128]
TEST_CFG = dict(mode='slide', crop_size=(32, 32), merge='max')


def load_infer():
    spec = importlib.util.spec_from_file_location('pixdiva_infer',
                                                  ROOT / 'tools' / 'infer.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


infer = load_infer()


def read_rgb(path):
    import cv2
    return cv2.imread(str(path), cv2.IMREAD_UNCHANGED)[..., ::-1]


def write_config(path, with_label_values=True, auto=False):
    metainfo = dict(classes=list('abcd'))
    if with_label_values:
        metainfo['label_values'] = CONFIG_VALUES
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    model = tiny_model_cfg(num_classes=4, test_cfg=TEST_CFG)
    if auto:  # what the shipped configs write; tools/train.py resolves it
        model['data_preprocessor'].update(mean='auto', std='auto')
        model['decode_head']['num_classes'] = 'auto'
    cfg = dict(
        default_scope='mmseg',
        custom_imports=dict(imports=['mmseg_pixdiva'],
                            allow_failed_imports=False),
        model=model,
        test_pipeline=pipeline,
        test_dataloader=dict(
            batch_size=1,
            dataset=dict(type='BaseSegDataset', data_root='nowhere',
                         metainfo=metainfo, pipeline=pipeline)))
    path.write_text('\n'.join(f'{k} = {v!r}' for k, v in cfg.items()))
    return path


def write_checkpoint(path, with_label_values=True, trained_cfg=None):
    from mmengine.runner.checkpoint import save_checkpoint
    model = build_tiny_model(num_classes=4, test_cfg=TEST_CFG)
    meta = dict(dataset_meta=dict(classes=list('abcd'),
                                  label_values=CKPT_VALUES)) \
        if with_label_values else dict()
    if trained_cfg is not None:  # as the runner saves it: resolved text
        meta['cfg'] = Path(trained_cfg).read_text()
    save_checkpoint(dict(state_dict=model.state_dict(), meta=meta),
                    str(path))
    return path


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    import cv2
    root = tmp_path_factory.mktemp('infer')
    rng = np.random.default_rng(0)
    pages = root / 'pages'
    pages.mkdir()
    sizes = {'p1.jpg': (45, 70), 'p2.png': (64, 33), 'p3.tif': (20, 90)}
    for name, (h, w) in sizes.items():
        cv2.imwrite(str(pages / name),
                    rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    (pages / 'notes.txt').write_text('not a page')
    # A macOS resource fork beside the scans: hidden, ignored silently (as
    # the dataset's pairing does), not read as a page.
    (pages / '._p1.jpg').write_bytes(b'not a jpeg')
    (pages / 'sub').mkdir()
    return dict(
        root=root, pages=pages, sizes=sizes,
        config=write_config(root / 'cfg.py'),
        config_bare=write_config(root / 'cfg_bare.py', False),
        config_auto=write_config(root / 'cfg_auto.py', auto=True),
        ckpt=write_checkpoint(root / 'ckpt.pth'),
        ckpt_bare=write_checkpoint(root / 'ckpt_bare.pth', False),
        ckpt_with_cfg=write_checkpoint(root / 'ckpt_cfg.pth',
                                       trained_cfg=root / 'cfg.py'))


def run(setup, out, *extra, config='config', ckpt='ckpt', pages=None):
    return infer.main([
        str(setup[config]), str(setup[ckpt]), str(pages or setup['pages']),
        str(out), '--device', 'cpu', *extra
    ])


def expected_classes(setup, page):
    """The model's prediction through mmseg's own inference API."""
    from mmseg.apis import inference_model, init_model
    model = init_model(str(setup['config']), str(setup['ckpt']),
                       device='cpu')
    return inference_model(model, str(page)).pred_sem_seg.data[0].numpy()


def test_writes_gt_format_for_every_image(setup, tmp_path, capsys):
    out = tmp_path / 'out'
    assert run(setup, out) == 0
    assert sorted(p.name for p in out.iterdir()) == \
        ['p1.png', 'p2.png', 'p3.png', 'pixdiva_infer.json']
    err = capsys.readouterr().err
    assert 'warning: skipping' in err and 'notes.txt: not an image' in err
    assert '._p1' not in err
    for name, (h, w) in setup['sizes'].items():
        rgb = read_rgb(out / f'{Path(name).stem}.png')
        assert rgb.shape == (h, w, 3)
        assert (rgb[..., :2] == 0).all()
        assert set(np.unique(rgb[..., 2])) <= set(CKPT_VALUES)
    from mmseg_pixdiva.core.encoding import decode_gt
    classes = decode_gt(read_rgb(out / 'p1.png'), CKPT_VALUES)
    assert np.array_equal(classes,
                          expected_classes(setup, setup['pages'] / 'p1.jpg'))


def test_resume_skips_complete_outputs_and_redoes_broken_ones(setup,
                                                              tmp_path):
    out = tmp_path / 'out'
    assert run(setup, out) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    # A complete output is kept as it is: mark p1 by rewriting it with a
    # different (valid, same-size) content and check it survives.
    from mmseg_pixdiva.utils.gt_format import write_gt_format_prediction
    write_gt_format_prediction(out / 'p1.png', np.zeros((45, 70), int),
                               CKPT_VALUES)
    marker = (out / 'p1.png').read_bytes()
    (out / 'p2.png').write_bytes(first['p2.png'][:-20])  # truncated
    write_gt_format_prediction(out / 'p3.png', np.zeros((5, 5), int),
                               CKPT_VALUES)  # wrong size
    assert run(setup, out) == 0
    assert (out / 'p1.png').read_bytes() == marker
    assert (out / 'p2.png').read_bytes() == first['p2.png']
    assert (out / 'p3.png').read_bytes() == first['p3.png']
    assert run(setup, out, '--overwrite') == 0
    assert (out / 'p1.png').read_bytes() == first['p1.png']
    assert sorted(p.name for p in out.iterdir()) == \
        ['p1.png', 'p2.png', 'p3.png', 'pixdiva_infer.json']  # no temp file


def test_unreadable_pages_are_named_before_any_work(setup, tmp_path,
                                                     capsys):
    import cv2
    pages = tmp_path / 'pages'
    pages.mkdir()
    for name in ('p1.jpg', 'p2.png'):
        os.symlink(setup['pages'] / name, pages / name)
    (pages / 'broken.jpg').write_bytes(b'\xff\xd8\xff garbage')
    (pages / 'empty.png').write_bytes(b'')
    ok, jpeg = cv2.imencode('.jpg', np.full((40, 30, 3), 200, np.uint8))
    (pages / 'cut.jpg').write_bytes(jpeg.tobytes()[:-40])
    out = tmp_path / 'out'
    assert run(setup, out, pages=pages) == 2
    err = capsys.readouterr().err
    assert 'error: 3 pages cannot be read:' in err
    assert f'{pages / "broken.jpg"}: truncated or corrupt JPEG page' in err
    assert f'{pages / "empty.png"}: empty file (0 bytes)' in err
    assert f'{pages / "cut.jpg"}: truncated or corrupt JPEG page' in err
    assert not out.exists()


def test_a_page_failing_while_segmented_is_named_and_the_others_written(
        setup, tmp_path, capsys, monkeypatch):
    segment = infer.segment_page

    def fails_on_p2(model, pack, loaded, page, canvas=False):
        if page.stem == 'p2':
            raise infer.PageReadError(f'{page}: cannot read image')
        return segment(model, pack, loaded, page, canvas)

    monkeypatch.setattr(infer, 'segment_page', fails_on_p2)
    out = tmp_path / 'out'
    assert run(setup, out) == 1
    err = capsys.readouterr().err
    assert f'{setup["pages"] / "p2.png"}: cannot read image' in err
    assert sorted(p.name for p in out.iterdir()) == \
        ['p1.png', 'p3.png', 'pixdiva_infer.json']


def test_run_record_refuses_other_runs_and_foreign_files(setup, tmp_path,
                                                         capsys):
    out = tmp_path / 'out'
    assert run(setup, out) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    # Another class encoding or other weights would mix two runs' outputs.
    assert run(setup, out, '--label-values', '3', '5', '7', '9') == 2
    err = capsys.readouterr().err
    assert 'another run (label_values differ' in err
    assert run(setup, out, ckpt='ckpt_bare') == 2
    assert 'checkpoint_sha256' in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    # The same weights under another name (copied, touched) continue it.
    copy = tmp_path / 'copy.pth'
    copy.write_bytes(setup['ckpt'].read_bytes())
    assert infer.main([str(setup['config']), str(copy), str(setup['pages']),
                       str(out), '--device', 'cpu']) == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    # A folder of GTs (no run record) is left alone unless --overwrite.
    gts = tmp_path / 'gts'
    gts.mkdir()
    from mmseg_pixdiva.utils.gt_format import write_gt_format_prediction
    write_gt_format_prediction(gts / 'p1.png', np.ones((45, 70), int),
                               CKPT_VALUES)
    gt_bytes = (gts / 'p1.png').read_bytes()
    assert run(setup, gts) == 2
    err = capsys.readouterr().err
    assert 'already holds p1.png' in err and 'pixdiva_infer.json' in err
    assert sorted(p.name for p in gts.iterdir()) == ['p1.png']
    assert (gts / 'p1.png').read_bytes() == gt_bytes
    assert run(setup, gts, '--overwrite') == 0
    assert (gts / 'p1.png').read_bytes() == first['p1.png']


def test_speed_settings_continue_and_interrupted_overwrite_is_redone(
        setup, tmp_path, capsys):
    out = tmp_path / 'out'
    assert run(setup, out) == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    # Fewer windows per batch (say, after running out of memory) is the
    # same run: it continues, nothing is redone.
    assert run(setup, out, '--cfg-options',
               'model.test_cfg.batch_windows=1') == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    # An --overwrite with another encoding, interrupted after one page
    # (here: run on a folder holding only that page) ...
    one = tmp_path / 'one'
    one.mkdir()
    os.symlink(setup['pages'] / 'p1.jpg', one / 'p1.jpg')
    new_values = ['--label-values', '3', '5', '7', '9']
    assert run(setup, out, '--overwrite', *new_values, pages=one) == 0
    # ... is completed by a plain rerun: the pages written before the new
    # record are not trusted, so no page keeps the old encoding.
    assert run(setup, out, *new_values) == 0
    for name in ('p1.png', 'p2.png', 'p3.png'):
        assert set(np.unique(read_rgb(out / name)[..., 2])) <= {3, 5, 7, 9}
    capsys.readouterr()


def test_auto_config_values_come_from_the_checkpoint(setup, tmp_path,
                                                     capsys):
    # The shipped configs say mean/std/num_classes='auto'; the checkpoint
    # records the numbers they were trained with.
    assert run(setup, tmp_path / 'ref', ckpt='ckpt_with_cfg') == 0
    assert run(setup, tmp_path / 'auto', config='config_auto',
               ckpt='ckpt_with_cfg') == 0
    capsys.readouterr()
    for name in ('p1.png', 'p2.png', 'p3.png'):
        assert np.array_equal(read_rgb(tmp_path / 'auto' / name),
                              read_rgb(tmp_path / 'ref' / name))
    # Without a recorded config, the data would have to give them: here it
    # cannot (no training set), so the error names the keys and files.
    assert run(setup, tmp_path / 'none', config='config_auto') == 2
    err = capsys.readouterr().err
    assert "mean, num_classes, std = 'auto'" in err
    assert str(setup['config_auto']) in err and str(setup['ckpt']) in err
    assert not (tmp_path / 'none').exists()


def test_label_values_sources(setup, tmp_path):
    def blue_values(out):
        return set(np.unique(read_rgb(out / 'p1.png')[..., 2]))

    # The checkpoint meta wins over the config.
    assert run(setup, tmp_path / 'a') == 0
    assert blue_values(tmp_path / 'a') <= set(CKPT_VALUES)
    # Without it, the config's dataset metainfo.
    assert run(setup, tmp_path / 'b', ckpt='ckpt_bare') == 0
    assert blue_values(tmp_path / 'b') <= set(CONFIG_VALUES)
    # --label-values wins over both.
    assert run(setup, tmp_path / 'c', '--label-values', '3', '5', '7', '9') \
        == 0
    assert blue_values(tmp_path / 'c') <= {3, 5, 7, 9}


def test_label_value_errors(setup, tmp_path, capsys):
    assert run(setup, tmp_path / 'a', config='config_bare',
               ckpt='ckpt_bare') == 2
    assert '--label-values' in capsys.readouterr().err
    assert run(setup, tmp_path / 'b', '--label-values', '1', '2') == 2
    assert 'model predicts 4 classes' in capsys.readouterr().err
    assert run(setup, tmp_path / 'c', '--label-values', '1', '2', '4',
               '300') == 2
    assert 'label_values[3] = 300 is outside 0..255' in \
        capsys.readouterr().err
    assert not (tmp_path / 'c').exists()
    assert not (tmp_path / 'a').exists() and not (tmp_path / 'b').exists()


def test_folder_errors(setup, tmp_path, capsys):
    assert run(setup, tmp_path / 'o', pages=tmp_path / 'missing') == 2
    assert 'does not exist' in capsys.readouterr().err
    empty = tmp_path / 'empty'
    empty.mkdir()
    (empty / 'readme.md').write_text('x')
    assert run(setup, tmp_path / 'o', pages=empty) == 2
    err = capsys.readouterr().err
    assert f'{empty} has no images' in err
    clash = tmp_path / 'clash'
    clash.mkdir()
    for name in ('page.jpg', 'page.png'):
        os.symlink(setup['pages'] / 'p2.png', clash / name)
    assert run(setup, tmp_path / 'o', pages=clash) == 2
    err = capsys.readouterr().err
    assert 'same stem "page"' in err
    assert str(clash / 'page.jpg') in err and str(clash / 'page.png') in err
    assert run(setup, clash / '..' / 'clash', pages=clash) == 2
    same = tmp_path / 'same'
    same.mkdir()
    os.symlink(setup['pages'] / 'p2.png', same / 'p2.png')
    assert run(setup, same, pages=same) == 2
    assert f'{same}: refusing to write there: it is the input folder' in \
        capsys.readouterr().err
    assert not (tmp_path / 'o').exists()
    assert sorted(p.name for p in same.iterdir()) == ['p2.png']


def test_jpeg_pages_never_get_predictions_beside_them(setup, tmp_path,
                                                      capsys):
    import cv2
    scans = tmp_path / 'scans'
    scans.mkdir()
    page = read_rgb(setup['pages'] / 'p2.png')
    cv2.imwrite(str(scans / 'p2.jpg'), page[..., ::-1])
    before = (scans / 'p2.jpg').read_bytes()
    assert run(setup, scans, pages=scans) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert 'it is the input folder' in err
    assert sorted(p.name for p in scans.iterdir()) == ['p2.jpg']
    assert (scans / 'p2.jpg').read_bytes() == before
    # A link to the input folder is the input folder.
    os.symlink(scans, tmp_path / 'link')
    assert run(setup, tmp_path / 'link', pages=scans) == 2
    assert sorted(p.name for p in scans.iterdir()) == ['p2.jpg']


def test_ctrl_c_says_what_is_done_and_a_rerun_continues(
        setup, tmp_path, capsys, monkeypatch):
    out = tmp_path / 'out'
    segment = infer.segment_page
    calls = []

    def interrupted_on_the_second_page(model, pack, loaded, page,
                                       canvas=False):
        calls.append(page.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return segment(model, pack, loaded, page, canvas)

    monkeypatch.setattr(infer, 'segment_page', interrupted_on_the_second_page)
    assert run(setup, out) == infer.INTERRUPTED
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == ('interrupted: 1 pages segmented, 0 already done, '
                         f'{len(setup["sizes"]) - 1} left; rerun the '
                         'same command to continue')
    assert sorted(p.name for p in out.iterdir() if p.suffix == '.png') == \
        [calls[0].rsplit('.', 1)[0] + '.png']
    first = calls[0]
    calls.clear()

    def counted(model, pack, loaded, page, canvas=False):
        calls.append(page.name)
        return segment(model, pack, loaded, page, canvas)

    monkeypatch.setattr(infer, 'segment_page', counted)
    assert run(setup, out) == 0
    # The rerun segments the two other pages only.
    assert sorted(calls) == sorted(set(setup['sizes']) - {first})


def test_missing_checkpoint_is_named(setup, tmp_path, capsys):
    code = infer.main([str(setup['config']), str(tmp_path / 'nope.pth'),
                       str(setup['pages']), str(tmp_path / 'o')])
    assert code == 2
    assert 'nope.pth' in capsys.readouterr().err


def test_per_bit_model_writes_or_ed_bits(tmp_path):
    """A per-bit segmentor (3 outputs) writes the HisDB blue values its
    bits decode to, with the page clean-up of its test_cfg applied."""
    import cv2
    from mmengine.runner.checkpoint import save_checkpoint
    hisdb = [1, 2, 4, 6, 8, 10, 12, 14]
    test_cfg = dict(TEST_CFG, postprocess=dict(min_page_pixels=(0, 10**6,
                                                                0)))
    model_cfg = tiny_model_cfg(num_classes=3, test_cfg=test_cfg,
                               per_bit=dict())
    config = tmp_path / 'per_bit.py'
    config.write_text('\n'.join(f'{k} = {v!r}' for k, v in dict(
        default_scope='mmseg',
        custom_imports=dict(imports=['mmseg_pixdiva'],
                            allow_failed_imports=False),
        model=model_cfg,
        test_pipeline=[dict(type='LoadImageFromFile'),
                       dict(type='PackSegInputs')]).items()))
    model = build_tiny_model(num_classes=3, test_cfg=test_cfg,
                             per_bit=dict())
    with __import__('torch').no_grad():
        # Bias the head: comment and main text on, decoration nearly on.
        model.decode_head.conv_seg.bias.copy_(
            __import__('torch').tensor([50., 50., 50.]))
    ckpt = tmp_path / 'per_bit.pth'
    save_checkpoint(dict(state_dict=model.state_dict(),
                         meta=dict(dataset_meta=dict(label_values=hisdb))),
                    str(ckpt))
    pages = tmp_path / 'pages'
    pages.mkdir()
    cv2.imwrite(str(pages / 'a.png'),
                np.random.default_rng(0).integers(0, 256, (40, 70, 3),
                                                  dtype=np.uint8))
    out = tmp_path / 'out'
    assert infer.main([str(config), str(ckpt), str(pages), str(out),
                       '--device', 'cpu']) == 0
    blue = read_rgb(out / 'a.png')[..., 2]
    # All three bits predicted; the clean-up removed decoration (too few
    # pixels on the page): comment + main text = 10 everywhere.
    assert set(np.unique(blue)) == {10}


def test_page_xml_beside_each_png(setup, tmp_path):
    from mmseg_pixdiva.fileio.page_gt import class_areas
    from mmseg_pixdiva.fileio.page_xml import read_page
    from mmseg_pixdiva.fileio.polygons import covered_share
    out = tmp_path / 'out'
    assert run(setup, out, '--page-xml') == 0
    for name, (h, w) in setup['sizes'].items():
        document = read_page(out / f'{Path(name).stem}.xml')
        assert (document.width, document.height) == (w, h)
        assert document.image_filename == name
        blue = read_rgb(out / f'{Path(name).stem}.png')[..., 2]
        areas = class_areas(document)
        for bit in (2, 4, 8):
            if (blue & bit).any():
                assert covered_share((blue & bit) != 0, areas[bit]) == 1.0
    # A continued run writes the XML of pages done before without it.
    (out / 'p2.xml').unlink()
    assert run(setup, out, '--page-xml') == 0
    assert read_page(out / 'p2.xml').width == 33


def test_page_xml_never_replaces_a_users_file(setup, tmp_path, capsys):
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'p1.xml').write_text('<PcGts/>')  # the user's own PAGE file
    assert run(setup, out, '--page-xml') == 2
    err = capsys.readouterr().err
    assert f'error: {out / "p1.xml"}: refusing to replace it: it exists ' \
        'and was not written by tools/infer.py' in err
    assert (out / 'p1.xml').read_text() == '<PcGts/>'
    assert not (out / 'p1.png').exists()
    (out / 'p1.xml').unlink()
    assert run(setup, out, '--page-xml') == 0
    assert run(setup, out, '--page-xml', '--overwrite') == 0  # its own


def test_page_xml_needs_bit_flags(setup, tmp_path, capsys):
    assert run(setup, tmp_path / 'out', '--page-xml', '--label-values', '0',
               '1', '2', '3') == 2
    assert 'error: --page-xml needs DIVA-HisDB bit flags' in \
        capsys.readouterr().err


def test_streaming_canvas_and_serial_runs_write_the_same_bytes(
        setup, tmp_path, capsys):
    """Band streaming with decoding ahead and writing behind (default),
    the whole-page canvas, and everything in turn (--io-workers 0) are
    three ways to the same files."""
    runs = {}
    for name, flags in (('default', ()), ('canvas', ('--canvas', )),
                        ('serial', ('--io-workers', '0'))):
        out = tmp_path / name
        assert run(setup, out, *flags) == 0
        runs[name] = {p.name: p.read_bytes() for p in out.glob('*.png')}
    assert len(runs['default']) == len(setup['sizes'])
    assert runs['default'] == runs['canvas'] == runs['serial']


def test_precision_flag_is_part_of_the_run(setup, tmp_path, capsys):
    out = tmp_path / 'out'
    assert run(setup, out, '--io-workers', '0') == 0
    # bfloat16 decides predictions: it cannot continue a float32 run.
    assert run(setup, out, '--precision', 'bfloat16') == 2
    assert 'model_sha256' in capsys.readouterr().err
    assert run(setup, tmp_path / 'bf16', '--precision', 'bfloat16') == 0
    record = (tmp_path / 'bf16' / 'pixdiva_infer.json').read_text()
    assert record != (out / 'pixdiva_infer.json').read_text()


def test_a_killed_decoding_worker_is_one_line(setup, tmp_path, capsys,
                                              monkeypatch):
    def dying_loader(pages, load, workers=1, prefetch=1):
        raise RuntimeError('DataLoader worker (pid 12345) is killed by '
                           'signal: Killed. ')
        yield  # a generator, as load_pages

    monkeypatch.setattr(infer, 'load_pages', dying_loader)
    assert run(setup, tmp_path / 'out') == 1
    err = capsys.readouterr().err
    assert 'Traceback' not in err
    assert 'error: a page-decoding worker process died (DataLoader worker ' \
        '(pid 12345) is killed by signal: Killed.' in err
    assert 'rerun the same command' in err


def test_streamed_pages_with_the_clean_up_are_joined_as_bytes():
    """test_cfg.postprocess cleans whole pages: the bands are joined (one
    byte per class index) and cleaned, as the model cleans a page of
    int64 classes."""
    import torch

    from tiny_segmentor import HISDB_LABEL_VALUES
    model = build_tiny_model(
        num_classes=8, label_values=HISDB_LABEL_VALUES,
        test_cfg=dict(mode='slide', crop_size=(16, 16), stride=(8, 8),
                      postprocess=dict(min_area=(40, 40, 40))))
    image = np.random.default_rng(3).integers(0, 256, (48, 64, 3),
                                              dtype=np.uint8)
    [page] = list(infer._streamed(model, image))
    with torch.no_grad():
        joined = torch.cat([c for _, c in model.stream_page(image)])
    assert joined.dtype == torch.int64
    assert np.array_equal(page, model.postprocess_page(joined).numpy())
    assert not np.array_equal(page, joined.numpy())  # it did clean
