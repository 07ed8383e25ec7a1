"""Evaluate layout-analysis predictions exactly like the Java DIVA Layout
Analysis Evaluator, fast (same as the ``pixdiva-evaluate`` console script).

Examples:
    python tools/evaluate_layout.py --gt GT.png --prediction PRED.png \
        --json result.json
    python tools/evaluate_layout.py --gt GT.png --prediction PRED.png \
        --original PAGE.jpg --out-dir vis/
    python tools/evaluate_layout.py --gt-dir gt/ --prediction-dir preds/ \
        --out-dir eval/ --no-visualization
"""
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from mmseg_pixdiva.evaluation.layout_cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
