"""tools/demo.py (what `make demo` runs) stops before training when its
test step could not replace a file already in its output folders."""
import numpy as np
import pytest
from tool_loader import load_tool

from mmseg_pixdiva.utils.gt_format import write_gt_format_prediction


@pytest.mark.parametrize('folder,name', [('predictions', 'test_000.png'),
                                         ('pictures', 'test_000_pred.png'),
                                         ('scores', 'summary.json')])
def test_an_unmarked_output_stops_the_demo_before_training(
        tmp_path, capsys, folder, name):
    demo = load_tool('demo')
    work_dir = tmp_path / 'demo'
    mine = work_dir / folder / name
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b'an output of an older version, or a file of mine')
    assert demo.main(['--work-dir', str(work_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'error: {mine}: refusing to replace it'), err
    assert mine.read_bytes().startswith(b'an output of an older')
    assert sorted(p.name for p in work_dir.iterdir()) == [folder]


def test_its_own_outputs_of_an_earlier_demo_are_no_obstacle(tmp_path):
    demo = load_tool('demo')
    predictions = tmp_path / 'predictions'
    predictions.mkdir()
    write_gt_format_prediction(predictions / 'test_000.png',
                               np.zeros((4, 4), np.int64), [1, 2])
    demo.refuse_unmarked_outputs(str(predictions), str(tmp_path / 'pictures'),
                                 str(tmp_path / 'scores'))
