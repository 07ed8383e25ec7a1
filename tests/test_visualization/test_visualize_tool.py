"""tools/visualize.py on small GT-format PNGs."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from mmseg_pixdiva.core.encoding import classes_to_gt_rgb, hisdb_palette
from mmseg_pixdiva.utils.atomic import atomic_write_image
from mmseg_pixdiva.visualization import read_rgb

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'visualize.py'
VALUES = [1, 2, 4, 8]


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('visualize_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_pages(folder: Path, names, shape=(6, 5), seed=0):
    rng = np.random.default_rng(seed)
    pages = {}
    for name in names:
        classes = rng.integers(0, len(VALUES), shape).astype(np.uint8)
        atomic_write_image(folder / f'{name}.png',
                           classes_to_gt_rgb(classes, VALUES))
        pages[name] = classes
    return pages


def test_folder_of_predictions_gives_coloured_pictures(tool, tmp_path,
                                                       capsys):
    preds = write_pages(tmp_path / 'pred', ['a', 'b'])
    out = tmp_path / 'out'
    assert tool.main([str(tmp_path / 'pred'), '--label-values', '1', '2',
                      '4', '8', '--out-dir', str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == \
        ['a_pred.png', 'b_pred.png', 'legend.png']
    palette = np.array(hisdb_palette(VALUES), np.uint8)
    for name, classes in preds.items():
        np.testing.assert_array_equal(read_rgb(out / f'{name}_pred.png'),
                                      palette[classes])
    assert 'written' in capsys.readouterr().out


def test_gt_dir_pairs_by_stem_prefix_and_makes_gt_and_error_maps(
        tool, tmp_path):
    gts = write_pages(tmp_path / 'gt', ['page'], seed=1)
    pred = gts['page'].copy()
    pred[0, :] = 3  # main text where the GT may hold other classes
    (tmp_path / 'pred').mkdir()
    atomic_write_image(tmp_path / 'pred' / 'page.prediction.png',
                       classes_to_gt_rgb(pred, VALUES))
    out = tmp_path / 'out'
    assert tool.main([str(tmp_path / 'pred' / 'page.prediction.png'),
                      '--hisdb', '--gt-dir', str(tmp_path / 'gt'),
                      '--out-dir', str(out)]) == 0
    errors = read_rgb(out / 'page.prediction_errors.png')
    correct = pred == gts['page']
    gt_bg = gts['page'] == 0
    # evaluator colours: black = correct background, green = correct
    # foreground, red = background predicted as foreground
    assert (errors[correct & gt_bg] == [0, 0, 0]).all()
    assert (errors[correct & ~gt_bg] == [0, 127, 0]).all()
    assert (errors[~correct & gt_bg] == [255, 0, 0]).all()
    palette = np.array(hisdb_palette(VALUES), np.uint8)
    np.testing.assert_array_equal(read_rgb(out / 'page.prediction_gt.png'),
                                  palette[gts['page']])


def test_bad_inputs_are_named_and_others_still_written(tool, tmp_path,
                                                       capsys):
    write_pages(tmp_path / 'pred', ['good'])
    bad = classes_to_gt_rgb(np.zeros((3, 3), np.uint8), VALUES)
    bad[0, 0, 2] = 77
    atomic_write_image(tmp_path / 'pred' / 'unknown.png', bad)
    (tmp_path / 'pred' / 'broken.png').write_bytes(b'xx')
    out = tmp_path / 'out'
    argv = [str(tmp_path / 'pred'), '--hisdb', '--no-errors', '--out-dir',
            str(out)]
    # A file that is no image is found before any picture is drawn.
    assert tool.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert 'broken.png: the prediction is not a PNG, BMP or TIFF' in err
    assert not out.exists()
    # A value found while drawing: named, the other pages still written.
    (tmp_path / 'pred' / 'broken.png').unlink()
    assert tool.main(argv) == 1
    err = capsys.readouterr().err
    assert 'unknown.png' in err and 'blue=77' in err
    assert (out / 'good_pred.png').is_file()
    assert not (out / 'unknown_pred.png').exists()


def test_bad_sizes_links_and_own_pictures_stop_the_run_first(
        tool, tmp_path, capsys):
    """Found from the headers before anything is written: exit 2, one line
    naming the file, no output folder."""
    import cv2
    write_pages(tmp_path / 'pred', ['a'], shape=(6, 5))
    write_pages(tmp_path / 'gt', ['a'], shape=(7, 5))
    (tmp_path / 'scans').mkdir()
    cv2.imwrite(str(tmp_path / 'scans' / 'a.jpg'),
                np.zeros((5, 6, 3), np.uint8))  # turned: W and H swapped
    out = tmp_path / 'out'
    common = ['--hisdb', '--out-dir', str(out)]
    assert tool.main([str(tmp_path / 'pred'), '--gt-dir',
                      str(tmp_path / 'gt'), *common]) == 2
    err = capsys.readouterr().err
    assert err == (f'error: {tmp_path}/gt/a.png: GT size 5x7 differs from '
                   f'the prediction {tmp_path}/pred/a.png (5x6, WxH); a GT '
                   'must have the size of its page\n')
    assert tool.main([str(tmp_path / 'pred'), '--image-dir',
                      str(tmp_path / 'scans'), '--overlay', *common]) == 2
    assert 'scans/a.jpg: scan size (EXIF orientation applied) 6x5 ' \
        'differs from the prediction' in capsys.readouterr().err
    assert not out.exists()
    # Pictures of an earlier run are colours, not class encodings.
    assert tool.main([str(tmp_path / 'pred'), *common]) == 0
    capsys.readouterr()
    assert tool.main([str(out / 'a_pred.png'), '--hisdb', '--out-dir',
                      str(tmp_path / 'again')]) == 2
    assert 'a_pred.png: a picture written by tools/visualize.py' in \
        capsys.readouterr().err
    # A link that leads nowhere is a page the user meant: named.
    (tmp_path / 'pred' / 'b.png').symlink_to(tmp_path / 'gone.png')
    assert tool.main([str(tmp_path / 'pred'), '--hisdb', '--out-dir',
                      str(tmp_path / 'linked')]) == 2
    assert 'pred/b.png: input file is a broken or looping symbolic link' \
        in capsys.readouterr().err
    assert not (tmp_path / 'again').exists()
    assert not (tmp_path / 'linked').exists()


def test_missing_gt_and_bad_arguments(tool, tmp_path, capsys):
    write_pages(tmp_path / 'pred', ['lonely'])
    (tmp_path / 'gt').mkdir()
    assert tool.main([str(tmp_path / 'pred'), '--hisdb', '--no-errors',
                      '--gt-dir', str(tmp_path / 'gt'),
                      '--out-dir', str(tmp_path / 'out')]) == 2
    assert 'lonely.png: no GT for it' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()  # found before any picture
    assert tool.main([str(tmp_path / 'nothing'), '--hisdb',
                      '--out-dir', str(tmp_path / 'out')]) == 2
    assert 'nothing: no such file or folder' in capsys.readouterr().err
    assert tool.main([str(tmp_path / 'pred'), '--label-values', '1', '2',
                      '--classes', 'a', '--out-dir',
                      str(tmp_path / 'out')]) == 2
    assert '1 class names for 2 label values' in capsys.readouterr().err
    # Two inputs with one page name would overwrite each other's pictures.
    write_pages(tmp_path / 'other', ['lonely'])
    assert tool.main([str(tmp_path / 'pred'), str(tmp_path / 'other'),
                      '--hisdb', '--no-errors',
                      '--out-dir', str(tmp_path / 'twice')]) == 2
    err = capsys.readouterr().err
    assert 'same page name' in err and str(tmp_path / 'other') in err
    assert not (tmp_path / 'twice').exists()
    # An output folder that cannot be created.
    (tmp_path / 'a_file').write_text('x')
    assert tool.main([str(tmp_path / 'pred'), '--hisdb', '--no-errors',
                      '--out-dir', str(tmp_path / 'a_file' / 'out')]) == 2
    assert 'cannot write the pictures there' in capsys.readouterr().err


def test_find_partner_prefers_exact_then_longest_stem_then_suffix_order(
        tool, tmp_path):
    for name in ('page.png', 'page.jpg', 'page_2.png', 'other.jpg'):
        (tmp_path / name).write_bytes(b'')
    find = tool.find_partner
    assert find('page_2', tmp_path, tool.IMAGE_SUFFIXES).name == 'page_2.png'
    assert find('page_2.pred', tmp_path,
                tool.IMAGE_SUFFIXES).name == 'page_2.png'
    assert find('page.pred', tmp_path, tool.IMAGE_SUFFIXES).name == 'page.jpg'
    assert find('page.pred', tmp_path, ('.png', )).name == 'page.png'
    assert find('pages', tmp_path, tool.IMAGE_SUFFIXES) is None
    assert find('page', tmp_path, ('.png', ),
                exclude=tmp_path / 'page.png') is None


def test_output_folder_that_is_the_input_folder_is_refused(tool, tmp_path,
                                                           capsys):
    # a_pred.png is an input; the picture of a.png would have its name.
    folder = tmp_path / 'pages'
    write_pages(folder, ['a', 'a_pred'])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert tool.main([str(folder), '--hisdb', '--out-dir', str(folder)]) == 2
    err = capsys.readouterr().err
    assert f'{folder}: refusing to write there: it is the input folder' in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # Inputs named one by one: the picture of a.png would be a_pred.png.
    assert tool.main([str(folder / 'a.png'), str(folder / 'a_pred.png'),
                      '--hisdb', '--out-dir', str(folder)]) == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_only_its_own_pictures_are_replaced(tool, tmp_path, capsys):
    write_pages(tmp_path / 'pred', ['a'])
    out = tmp_path / 'out'
    argv = [str(tmp_path / 'pred'), '--hisdb', '--out-dir', str(out)]
    assert tool.main(argv) == 0
    assert tool.main(argv) == 0  # a rerun replaces its own pictures
    assert sorted(p.name for p in out.iterdir()) == ['a_pred.png',
                                                     'legend.png']
    # A user's file of a picture's name is not replaced.
    write_pages(out, ['a_pred'], seed=5)
    before = (out / 'a_pred.png').read_bytes()
    assert tool.main(argv) == 2
    err = capsys.readouterr().err
    assert f'{out / "a_pred.png"}: refusing to replace it' in err
    assert (out / 'a_pred.png').read_bytes() == before


def test_overlay_scan_is_turned_by_its_exif_orientation(tool, tmp_path):
    from PIL import Image
    write_pages(tmp_path / 'pred', ['page'], shape=(60, 40))
    stored = np.zeros((40, 60, 3), np.uint8)  # landscape as stored
    stored[:10] = 255
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6  # shown turned: 40 wide, 60 high, like the page
    (tmp_path / 'scans').mkdir()
    image.save(tmp_path / 'scans' / 'page.jpg', exif=exif.tobytes())
    out = tmp_path / 'out'
    assert tool.main([str(tmp_path / 'pred'), '--hisdb', '--image-dir',
                      str(tmp_path / 'scans'), '--overlay', '--out-dir',
                      str(out)]) == 0
    overlay = read_rgb(out / 'page_overlay.png').astype(int)
    assert overlay.shape == (60, 40, 3)
    assert overlay[:, -5:].mean() > overlay[:, :5].mean() + 50
