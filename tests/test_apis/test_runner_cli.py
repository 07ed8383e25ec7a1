"""The work-dir check of tools/train.py and tools/test.py: mmengine's runner
dumps the config into the work dir under the config's name, which must
replace neither the config itself nor a file that is no earlier dump."""
import os
from pathlib import Path

import pytest
from mmengine.config import Config

from mmseg_pixdiva.apis.runner_cli import (config_dump_path, is_config_dump,
                                           refuse_config_overwrite)
from mmseg_pixdiva.utils.errors import InputError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / 'configs' / 'demo_synthetic_unet.py'


def config_in(folder: Path, work_dir: Path, name: str = 'mine.py'
              ) -> Config:
    """A config file of the user's in ``folder`` (inheriting the demo), read
    as the tools read it, with ``work_dir`` set."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f'_base_ = [{str(DEMO)!r}]\n')
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return cfg


def test_the_config_itself_is_refused(tmp_path):
    """Work dir = the config's folder, directly or through a link."""
    folder = tmp_path / 'configs'
    os.symlink(folder, tmp_path / 'link', target_is_directory=True)
    for work_dir in (folder, tmp_path / 'link', folder / 'sub' / '..'):
        cfg = config_in(folder, work_dir)
        before = Path(cfg.filename).read_bytes()
        with pytest.raises(InputError) as error:
            refuse_config_overwrite(cfg)
        assert str(error.value) == (
            f'{work_dir / "mine.py"}: refusing to write there: it is the '
            f'config {cfg.filename}; choose another output')
        assert Path(cfg.filename).read_bytes() == before


def test_an_earlier_dump_is_replaced_and_any_other_file_is_not(tmp_path):
    work_dir = tmp_path / 'work'
    cfg = config_in(tmp_path / 'configs', work_dir)
    refuse_config_overwrite(cfg)  # nothing there yet
    dump = config_dump_path(cfg)
    assert dump == work_dir / 'mine.py'
    work_dir.mkdir()
    cfg.dump(str(dump))  # what Runner.dump_config writes
    assert is_config_dump(dump)
    refuse_config_overwrite(cfg)  # a rerun (resume) in the same work dir
    others = {
        'a config that inherits': f'_base_ = [{str(DEMO)!r}]\n',
        'a flat one of the user': "work_dir = 'w'\nmodel = dict()\n",
        'not Python': 'my notes\n',
    }
    for what, text in others.items():
        dump.write_text(text)
        assert not is_config_dump(dump), what
        with pytest.raises(InputError, match=f'^{dump}: refusing to '
                           'replace it: it exists and was not written by '):
            refuse_config_overwrite(cfg)
        assert dump.read_text() == text
    # A link to a dump: the runner would write through it, elsewhere.
    cfg.dump(str(tmp_path / 'elsewhere.py'))
    dump.unlink()
    os.symlink(tmp_path / 'elsewhere.py', dump)
    assert not is_config_dump(dump)


def test_a_run_from_the_dump_in_its_own_work_dir_is_allowed(tmp_path):
    """mmseg's usual way to test a run: the config the runner dumped into
    the work dir, whose work_dir is that folder (tools/test.py
    work_dirs/x/x.py work_dirs/x/iter_1000.pth, or a resumed training)."""
    work_dir = tmp_path / 'work'
    cfg = config_in(tmp_path / 'configs', work_dir)
    work_dir.mkdir()
    cfg.dump(str(config_dump_path(cfg)))
    dumped = Config.fromfile(str(work_dir / 'mine.py'))
    assert Path(dumped.work_dir) == work_dir
    assert config_dump_path(dumped) == work_dir / 'mine.py'
    refuse_config_overwrite(dumped)  # no error
