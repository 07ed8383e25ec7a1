"""'auto' statistics with a data root relative to the working directory."""
import os

from mmengine.config import Config

from mmseg_pixdiva.apis import resolve_auto_config
from mmseg_pixdiva.datasets.analytics import load_or_compute_statistics
from mmseg_pixdiva.datasets.synthetic import write_synthetic_dataset


def test_relative_data_root(tmp_path, monkeypatch):
    write_synthetic_dataset(tmp_path / 'pages', n_train=1, n_val=0, n_test=0,
                            height=96, width=64, seed=5, progress=False)
    monkeypatch.chdir(tmp_path)
    cfg = Config(dict(
        model=dict(data_preprocessor=dict(mean='auto', std='auto',
                                          bgr_to_rgb=False)),
        train_dataloader=dict(dataset=dict(
            type='HisDBDataset', data_root='pages',
            data_prefix=dict(img_path='train/data',
                             seg_map_path='train/gt')))))
    resolve_auto_config(cfg)
    expected = load_or_compute_statistics(
        'pages', label_values=None, boundary_to_background=True,
        background_value=1, progress=False)
    assert cfg.model.data_preprocessor.mean == expected['mean_bgr']
    assert cfg.model.data_preprocessor.std == expected['std_bgr']
    # Cached in the data root itself, not in pages/pages/.
    assert os.path.isfile('pages/pixdiva_statistics.json')
    assert not os.path.exists('pages/pages')
