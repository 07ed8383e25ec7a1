"""Evaluation reports: per-page records, the per-page CSV and the summary.

Shared by the ``pixdiva-evaluate`` CLI and :class:`DIVALayoutMetric`, so
both write the same files. JSON is strict: NaN becomes ``null`` (the Java
tool writes a bare ``NaN``, which JSON parsers reject). Pure (numpy only).
"""
import csv
import io
import json
from typing import Dict, List, Optional, Sequence

from . import layout_analysis as la
from ..utils.atomic import atomic_write_text

#: File names written into an output folder.
PAGES_CSV = 'pages.csv'
SUMMARY_JSON = 'summary.json'


def page_record(scores: Dict[str, object], gt: str, prediction: str,
                stem: Optional[str] = None) -> Dict[str, object]:
    """Scores of one page in the JSON layout of ``cases.json`` (the ten
    summary keys, ``per_class``), with paths, NaN as ``None``."""
    record: Dict[str, object] = {}
    if stem is not None:
        record['stem'] = stem
    record.update(gt=str(gt), prediction=str(prediction))
    record.update({key: scores[key] for key in la.SCORE_KEYS})
    record['per_class'] = scores['per_class']
    record['num_classes'] = scores['num_classes']
    if 'num_pixels' in scores:
        record['num_pixels'] = scores['num_pixels']
    return la.nan_to_none(record)


def summary_record(page_scores: Sequence[Dict[str, object]],
                   pooled: Dict[str, object],
                   pages: Sequence[Dict[str, object]],
                   **extra) -> Dict[str, object]:
    """The summary: mean of the per-page scores, the pooled scores (all
    pages counted as one image) and the per-page records."""
    summary: Dict[str, object] = {'num_pages': len(pages)}
    summary.update(extra)
    summary['mean_of_pages'] = la.nan_to_none(
        la.mean_of_page_scores(page_scores))
    summary['pooled'] = la.nan_to_none(dict(pooled))
    summary['pages'] = list(pages)
    return summary


#: First columns of :func:`csv_text`'s header.
CSV_HEADER_START = 'stem,gt,prediction,num_classes,num_pixels'


def is_report_file(path) -> bool:
    """Whether ``path`` holds a report these functions wrote: a page record
    or summary (JSON) or a per-page CSV. Tools replace only such files (an
    earlier run's), never a user's file that happens to have the name.

    Args:
        path (str | Path): An existing file.
    """
    try:
        with open(path, encoding='utf-8') as f:
            if str(path).lower().endswith('.csv'):
                return f.readline().startswith(CSV_HEADER_START)
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and (
        'per_class' in data or 'mean_of_pages' in data)


def dumps_json(data: object) -> str:
    """Strict JSON text (raises on NaN: convert it to None first)."""
    return json.dumps(data, indent=1, allow_nan=False) + '\n'


def csv_text(rows: Sequence[Dict[str, object]]) -> str:
    """Per-page CSV: one row per page record; per-class columns ``iu_0``,
    ``iu_1``, ... (index = class bit); an empty cell is NaN."""
    num_classes = max((len(r['per_class']['iu']) for r in rows), default=0)
    header = CSV_HEADER_START.split(',')
    header += list(la.SCORE_KEYS)
    header += [f'{key}_{c}' for key in la.PER_CLASS_KEYS
               for c in range(num_classes)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator='\n')
    writer.writerow(header)

    def cell(value) -> str:
        return '' if value is None else repr(float(value))

    for row in rows:
        values = [row.get('stem', ''), row['gt'], row['prediction'],
                  row['num_classes'], row.get('num_pixels', '')]
        values += [cell(row[key]) for key in la.SCORE_KEYS]
        for key in la.PER_CLASS_KEYS:
            per_class: List = list(row['per_class'][key])
            per_class += [None] * (num_classes - len(per_class))
            values += [cell(v) for v in per_class]
        writer.writerow(values)
    return buffer.getvalue()


def report_paths(out_dir, summary_path=None) -> List[str]:
    """The files :func:`write_report` writes: ``out_dir/pages.csv`` and
    ``summary_path`` (by default ``out_dir/summary.json``)."""
    import os
    return [os.path.join(str(out_dir), PAGES_CSV),
            str(summary_path or os.path.join(str(out_dir), SUMMARY_JSON))]


def write_report(out_dir, pages: Sequence[Dict[str, object]],
                 summary: Dict[str, object],
                 summary_path=None) -> None:
    """Write :func:`report_paths` ``pages.csv`` and ``summary.json`` (each
    atomically, the text fully built first)."""
    csv_data = csv_text(pages)
    json_data = dumps_json(summary)
    csv_path, json_path = report_paths(out_dir, summary_path)
    atomic_write_text(csv_path, csv_data)
    atomic_write_text(json_path, json_data)
