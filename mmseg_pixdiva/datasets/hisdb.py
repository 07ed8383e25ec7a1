"""HisDBDataset: DIVA-HisDB's bit-flag encoding."""
import os.path as osp
from typing import List, Optional, Sequence

from mmseg.registry import DATASETS

from ..core.encoding import HISDB_BACKGROUND  # noqa: F401 (re-exported)
from ..core.encoding import hisdb_class_name, hisdb_palette
from .gt_values import GT_VALUES_CACHE_NAME, refuse_hisdb_blue_zero
from .paired_blue_channel import PairedBlueChannelDataset

#: Blue value with no HisDB bit set (not a class of the encoding).
HISDB_NO_BITS = 0x00


@DATASETS.register_module()
class HisDBDataset(PairedBlueChannelDataset):
    """DIVA-HisDB pages: blue = bit flags, red bit 7 = boundary.

    Every observed combination of bits (e.g. ``0x0A``, comment + main text)
    is its own class, named from its bits and coloured from a fixed palette.

    Blue 0 sets no bit, not even background's: the DIVA-HisDB GTs never
    hold it, and in a GT it comes from a broken conversion or an
    anti-aliased drawing. When the classes are discovered from the training
    GTs, a GT holding blue 0 is therefore an error naming the file and its
    pixel count (it would otherwise silently become one more class,
    ``'none'``, which a DeepDIVA user would not expect). A user who means it
    lists 0 in ``label_values`` explicitly and gets it as the class
    ``'none'``; with ``label_values`` given without 0, such a GT is refused
    as any other unknown blue value.

    Boundary pixels are set to background by default (DeepDIVA's HisDB
    training); the DIVA layout metric scores against the raw GT files, so
    the evaluator's boundary rule still applies at test time.

    Args:
        label_values (Sequence[int], optional): Blue values in class order;
            by default discovered from the training GTs (e.g. CSG863:
            1, 2, 4, 6, 8, 10, 12, 14).
        boundary_to_background (bool): Defaults to True.
        **kwargs: See :class:`PairedBlueChannelDataset`.
    """

    def __init__(self,
                 label_values: Optional[Sequence[int]] = None,
                 boundary_to_background: bool = True,
                 background_value: Optional[int] = HISDB_BACKGROUND,
                 **kwargs) -> None:
        super().__init__(
            label_values=label_values,
            boundary_to_background=boundary_to_background,
            background_value=background_value,
            **kwargs)

    def check_discovered_values(self, label_values: Sequence[int],
                                gt_paths: Sequence[str],
                                cache_dir: str) -> None:
        """Refuse blue 0 among the discovered classes, naming its GT.

        Raises:
            UnknownLabelValueError: See :func:`refuse_hisdb_blue_zero`.
        """
        if HISDB_NO_BITS in label_values:
            refuse_hisdb_blue_zero(
                gt_paths, osp.join(cache_dir, GT_VALUES_CACHE_NAME))

    @staticmethod
    def default_class_names(label_values: Sequence[int]) -> List[str]:
        """Names from the bits, e.g. ``'comment+main text'``."""
        return [hisdb_class_name(int(v)) for v in label_values]

    @staticmethod
    def default_palette(label_values: Sequence[int]) -> list:
        """The fixed HisDB palette."""
        return hisdb_palette(label_values)
