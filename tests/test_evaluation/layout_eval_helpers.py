"""Helpers of the evaluation tests: shared golden values, small pages."""
import json
import os
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_root() -> Path:
    """The ``shared`` folder beside the repository (env PIXDIVA_SHARED)."""
    return Path(os.environ.get('PIXDIVA_SHARED', REPO_ROOT.parent / 'shared'))


def golden_path() -> Path:
    return shared_root() / 'golden' / 'layout-evaluator'


def load_golden(name: str) -> list:
    """Cases of ``cases.json`` / ``toy_cases.json`` (empty if absent, so
    parametrised tests are collected and then skipped with a reason)."""
    path = golden_path() / name
    if not path.is_file():
        return []
    return json.loads(path.read_text())


def packed_to_rgb(values) -> np.ndarray:
    """Packed 0xRRGGBB integers (top to bottom) -> ``Nx1x3`` uint8 RGB."""
    values = np.asarray(values, dtype=np.int64)
    rgb = np.zeros((len(values), 1, 3), dtype=np.uint8)
    rgb[:, 0, 0] = values >> 16
    rgb[:, 0, 1] = (values >> 8) & 0xFF
    rgb[:, 0, 2] = values & 0xFF
    return rgb


def rgb_to_packed(rgb: np.ndarray) -> list:
    rgb = rgb.reshape(-1, 3).astype(np.int64)
    return ((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).tolist()


def write_rgb_png(path: Path, rgb: np.ndarray) -> Path:
    """Write an RGB uint8 array as PNG (test helper)."""
    import cv2
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1]))
    return path


def small_page(seed: int = 0, height: int = 40, width: int = 30):
    """A small HisDB-like GT (with boundary pixels) and a noisy prediction."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((height, width, 3), np.uint8)
    gt[..., 2] = 1
    gt[5:30, 4:25, 2] = 8
    gt[10:20, 8:14, 2] = 2
    gt[12:16, 10:20, 2] = 10
    gt[25:35, 2:9, 2] = 4
    edges = (np.abs(np.diff(gt[..., 2].astype(int), axis=0,
                            prepend=gt[:1, :, 2])) > 0)
    gt[edges, 0] = 128
    pred = gt.copy()
    pred[..., 0] = 0
    flip = rng.random((height, width)) < 0.15
    pred[flip, 2] = rng.choice([1, 2, 4, 8, 9, 10, 12, 16 + 8],
                               size=int(flip.sum()))
    return gt, pred
