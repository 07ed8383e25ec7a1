"""Evaluation: the pure DIVA layout evaluator and its mmseg metric adapter.

Kept free of imports so that ``mmseg_pixdiva.evaluation.layout_analysis``
loads without torch or mmseg (the evaluator CLI must start fast).
"""
