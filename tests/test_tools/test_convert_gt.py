"""tools/convert_gt.py: colour and palette GTs -> blue-channel GTs."""
import json

import cv2
import numpy as np
import pytest
from PIL import Image

from tool_loader import load_tool

convert_gt = load_tool('convert_gt')


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / 'map.json'
    path.write_text(json.dumps({
        'colours': {'#FFFFFF': 'background', '#FF0000': 'decoration',
                    '#0000FF': 'main text', '#00FF00': ['comment',
                                                        'main text']},
        'indices': {'0': 'background', '1': 'comment', '2': 'main text'}}))
    return path


def run(args, capsys):
    code = convert_gt.main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_rgb_and_palette_gts(tmp_path, mapping, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    rgb = np.full((6, 8, 3), 255, np.uint8)
    rgb[1, 1] = (255, 0, 0)
    rgb[2, 2] = (0, 0, 255)
    rgb[3, 3] = (0, 255, 0)
    Image.fromarray(rgb).save(src / 'colour.png')
    palette = Image.fromarray(np.array([[0, 1, 2, 2]], np.uint8), 'P')
    # Index colours that would be wrong if read as colours.
    palette.putpalette([255, 0, 0, 255, 0, 0, 255, 0, 0] + [0] * 759)
    palette.save(src / 'indexed.png')
    out = tmp_path / 'out'
    code, err = run([src, '--mapping', mapping, '--out-dir', out], capsys)
    assert code == 0, err
    converted = cv2.imread(str(out / 'colour.png'))
    assert not converted[..., 1:].any()
    blue = converted[..., 0]
    assert (blue[1, 1], blue[2, 2], blue[3, 3], blue[0, 0]) == (4, 8, 10, 1)
    assert np.count_nonzero(blue == 1) == 45
    np.testing.assert_array_equal(
        cv2.imread(str(out / 'indexed.png'))[..., 0], [[1, 2, 8, 8]])


def test_unknown_colour_names_value_count_and_file(tmp_path, mapping,
                                                   capsys):
    rgb = np.full((6, 8, 3), 255, np.uint8)
    rgb[0, :3] = (9, 9, 9)
    Image.fromarray(rgb).save(tmp_path / 'c.png')
    code, err = run([tmp_path / 'c.png', '--mapping', mapping, '--out-dir',
                     tmp_path / 'out'], capsys)
    assert code == 2
    assert err == (f'error: {tmp_path / "c.png"}: 1 colour(s) not in the '
                   f'mapping {mapping}: (9, 9, 9) #090909: 3 pixels\n')
    assert not (tmp_path / 'out').exists()


def test_refusals(tmp_path, mapping, capsys):
    rgb = np.full((6, 8, 3), 255, np.uint8)
    Image.fromarray(rgb).save(tmp_path / 'c.png')
    before = (tmp_path / 'c.png').read_bytes()
    code, err = run([tmp_path / 'c.png', '--mapping', mapping, '--out-dir',
                     tmp_path], capsys)
    assert code == 2 and 'refusing to write there: it is the GT' in err
    assert (tmp_path / 'c.png').read_bytes() == before
    Image.fromarray(rgb).save(tmp_path / 'j.png', format='JPEG')
    code, err = run([tmp_path / 'j.png', '--mapping', mapping, '--out-dir',
                     tmp_path / 'o'], capsys)
    assert code == 2 and err.startswith(f'error: {tmp_path / "j.png"}: JPEG')
    rgba = np.full((6, 8, 4), 255, np.uint8)
    rgba[0, 0, 3] = 0
    Image.fromarray(rgba).save(tmp_path / 't.png')
    code, err = run([tmp_path / 't.png', '--mapping', mapping, '--out-dir',
                     tmp_path / 'o'], capsys)
    assert code == 2 and '1 transparent pixels' in err


def test_a_rerun_replaces_its_own_outputs_only(tmp_path, mapping, capsys):
    rgb = np.full((6, 8, 3), 255, np.uint8)
    Image.fromarray(rgb).save(tmp_path / 'c.png')
    out = tmp_path / 'out'
    argv = [tmp_path / 'c.png', '--mapping', mapping, '--out-dir', out]
    assert run(argv, capsys)[0] == 0
    assert run(argv, capsys)[0] == 0
    (out / 'c.png').write_bytes(b'a file of the user')
    code, err = run(argv, capsys)
    assert code == 2 and f'{out / "c.png"}: refusing to replace it' in err
    assert (out / 'c.png').read_bytes() == b'a file of the user'
