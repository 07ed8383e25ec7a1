"""`import mmseg_pixdiva` must stay light and still register everything."""
import subprocess
import sys

import pytest


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, '-c', code], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_loads_neither_torch_nor_mmseg():
    out = run_python(
        'import sys, mmseg_pixdiva\n'
        "print('torch' in sys.modules, 'mmseg' in sys.modules)")
    assert out == 'False False'


COMPONENTS = [('DATASETS', 'HisDBDataset'),
              ('DATASETS', 'PairedBlueChannelDataset'),
              ('TRANSFORMS', 'LoadBlueChannelAnnotations'),
              ('TRANSFORMS', 'LoadPageCrop'),
              ('DATA_SAMPLERS', 'CropsPerImageSampler'),
              ('MODELS', 'MaxSlideEncoderDecoder'),
              ('MODELS', 'PerBitLoss'),
              ('METRICS', 'DIVALayoutMetric'),
              ('HOOKS', 'ColourVisualizationHook'),
              ('HOOKS', 'TestPicturesHook'), ('HOOKS', 'PanelHook'),
              ('HOOKS', 'ConfusionPlotsHook'),
              ('HOOKS', 'GTFormatPredictionHook'),
              ('HOOKS', 'ChannelsLastHook'),
              ('LOOPS', 'CropsValLoop'),
              ('OPTIM_WRAPPERS', 'BF16AutocastOptimWrapper')]


@pytest.mark.parametrize('registry, name', COMPONENTS)
def test_components_resolve_through_mmseg_registries_lazily(registry, name):
    # Each lookup in a fresh process, as the first thing a runner would do.
    out = run_python(
        'import mmseg_pixdiva\n'
        f'from mmseg.registry import {registry}\n'
        f"print({registry}.get('{name}').__name__)")
    assert out == name


def test_registration_also_works_when_mmseg_was_imported_first():
    out = run_python(
        'from mmseg.registry import DATASETS\n'
        'import mmseg_pixdiva\n'
        "print(DATASETS.get('PairedBlueChannelDataset').__name__)")
    assert out == 'PairedBlueChannelDataset'
