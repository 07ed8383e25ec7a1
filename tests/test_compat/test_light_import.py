"""`import mmseg_pixdiva` must stay light and still register everything."""
import subprocess
import sys


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


def test_components_resolve_through_mmseg_registries_lazily():
    out = run_python(
        'import mmseg_pixdiva\n'
        'from mmseg.registry import DATASETS, TRANSFORMS\n'
        "print(DATASETS.get('HisDBDataset').__name__,"
        " TRANSFORMS.get('LoadBlueChannelAnnotations').__name__)")
    assert out == 'HisDBDataset LoadBlueChannelAnnotations'


def test_registration_also_works_when_mmseg_was_imported_first():
    out = run_python(
        'from mmseg.registry import DATASETS\n'
        'import mmseg_pixdiva\n'
        "print(DATASETS.get('PairedBlueChannelDataset').__name__)")
    assert out == 'PairedBlueChannelDataset'
