"""Confusion-matrix heatmap and per-class IU bar chart (matplotlib, Agg).

matplotlib is imported inside the functions and drawn on an Agg canvas
without pyplot: no display is needed, the global backend is left alone and
importing this module stays cheap.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from ..evaluation.confusion import row_normalise


def _figure(width: float, height: float, dpi: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def figure_to_rgb(figure) -> np.ndarray:
    """Render a matplotlib figure to an ``HxWx3`` uint8 RGB array."""
    figure.canvas.draw()
    rgba = np.asarray(figure.canvas.buffer_rgba())
    return rgba[..., :3].copy()


def confusion_matrix_image(counts: np.ndarray,
                           class_names: Sequence[str],
                           title: str = 'Confusion matrix (row-normalised)',
                           dpi: int = 100,
                           annotate: Optional[bool] = None
                           ) -> Tuple[np.ndarray, np.ndarray]:
    """Draw a row-normalised confusion matrix as a heatmap picture.

    See :func:`confusion_matrix_figure` for the arguments.

    Returns:
        tuple: ``(rgb, normalised)``: the ``HxWx3`` uint8 picture and the
        ``CxC`` float matrix it shows (rows sum to 1; NaN rows for classes
        absent from the GT, drawn grey).
    """
    figure, normalised = confusion_matrix_figure(counts, class_names, title,
                                                 dpi, annotate)
    return figure_to_rgb(figure), normalised


def confusion_matrix_figure(counts: np.ndarray,
                            class_names: Sequence[str],
                            title: str = 'Confusion matrix (row-normalised)',
                            dpi: int = 100,
                            annotate: Optional[bool] = None):
    """Build the heatmap figure of a row-normalised confusion matrix.

    Args:
        counts (np.ndarray): ``CxC`` pixel counts, rows = GT classes,
            columns = predicted classes.
        class_names (Sequence[str]): ``C`` names for the axes.
        title (str): Figure title.
        dpi (int): Resolution of the figure.
        annotate (bool, optional): Write the values in the cells; by default
            only up to 20 classes.

    Returns:
        tuple: ``(figure, normalised)``: a matplotlib ``Figure`` on an Agg
        canvas (its only axes holds cell ``(row, col)`` at data coordinates
        ``(col, row)``) and the ``CxC`` row-normalised matrix.
    """
    counts = np.asarray(counts)
    num_classes = len(class_names)
    if counts.shape != (num_classes, num_classes):
        raise ValueError(f'counts shape {counts.shape} does not match '
                         f'{num_classes} class names')
    normalised = row_normalise(counts)
    side = min(4.0 + 0.45 * num_classes, 16.0)
    figure = _figure(side + 1.5, side, dpi)
    axes = figure.add_subplot(1, 1, 1)
    masked = np.ma.masked_invalid(normalised)
    import matplotlib
    cmap = matplotlib.colormaps['Blues'].with_extremes(bad=(0.85, 0.85, 0.85))
    shown = axes.imshow(masked, cmap=cmap, vmin=0.0, vmax=1.0,
                        interpolation='nearest')
    figure.colorbar(shown, ax=axes, fraction=0.046, pad=0.04)
    ticks = np.arange(num_classes)
    axes.set_xticks(ticks)
    axes.set_yticks(ticks)
    axes.set_xticklabels(class_names, rotation=45, ha='right',
                         rotation_mode='anchor')
    axes.set_yticklabels(class_names)
    axes.set_xlabel('predicted class')
    axes.set_ylabel('ground-truth class')
    axes.set_title(title)
    if annotate is None:
        annotate = num_classes <= 20
    if annotate:
        for row in range(num_classes):
            for col in range(num_classes):
                value = normalised[row, col]
                if np.isnan(value):
                    continue
                axes.text(col, row, f'{value:.2f}', ha='center',
                          va='center', fontsize=8,
                          color='white' if value > 0.5 else 'black')
    figure.tight_layout()
    return figure, normalised


def iou_bar_chart(iou: Sequence[float],
                  class_names: Sequence[str],
                  palette: Optional[Sequence[Sequence[int]]] = None,
                  title: str = 'IU per class',
                  dpi: int = 100) -> np.ndarray:
    """Draw per-class intersection over union as a bar chart.

    Args:
        iou (Sequence[float]): IU per class in 0..1; NaN (class absent
            everywhere) is shown as 'n/a'.
        class_names (Sequence[str]): Names in class order.
        palette (Sequence[Sequence[int]], optional): Bar colours (the class
            colours, with a dark outline so black/white bars show).
        title (str): Figure title; the mean IU over non-NaN classes is
            appended.
        dpi (int): Resolution of the figure.

    Returns:
        np.ndarray: ``HxWx3`` uint8 RGB.
    """
    values = np.asarray(iou, dtype=np.float64)
    if values.shape != (len(class_names), ):
        raise ValueError(f'{values.shape[0]} IU values for '
                         f'{len(class_names)} classes')
    width = min(3.0 + 0.6 * len(class_names), 18.0)
    figure = _figure(width, 4.5, dpi)
    axes = figure.add_subplot(1, 1, 1)
    positions = np.arange(len(class_names))
    colours = None
    if palette is not None:
        colours = [tuple(c / 255.0 for c in palette[i])
                   for i in range(len(class_names))]
    axes.bar(positions, np.nan_to_num(values, nan=0.0), color=colours,
             edgecolor='black', linewidth=0.8)
    for x, value in zip(positions, values):
        label = 'n/a' if np.isnan(value) else f'{value:.3f}'
        y = 0.0 if np.isnan(value) else value
        axes.text(x, y + 0.01, label, ha='center', va='bottom', fontsize=8)
    axes.set_xticks(positions)
    axes.set_xticklabels(class_names, rotation=45, ha='right',
                         rotation_mode='anchor')
    axes.set_ylim(0.0, 1.08)
    axes.set_ylabel('IU')
    finite = values[~np.isnan(values)]
    mean = float(finite.mean()) if finite.size else float('nan')
    axes.set_title(f'{title} (mean {mean:.3f})')
    axes.grid(axis='y', alpha=0.3)
    figure.tight_layout()
    return figure_to_rgb(figure)
