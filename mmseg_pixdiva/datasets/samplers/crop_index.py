"""CropIndex: a dataset index that also says which crop to take (pure).

The DataLoader hands whatever the sampler yields to ``dataset[idx]``; mmengine
datasets use it as an integer. ``CropIndex`` *is* that integer (the page's
dataset index) and carries the crop descriptor along, so stock datasets index
it normally and :class:`PairedBlueChannelDataset` copies the descriptor into
the data info for :class:`LoadPageCrop`.
"""
from typing import Dict

#: Key under which the descriptor reaches the pipeline.
PAGE_CROP_KEY = 'page_crop'


class CropIndex(int):
    """Page index plus crop descriptor.

    Args:
        page (int): Dataset index of the page.
        key (int): Random key of the crop position.
        stream (int): Page-cache stream of the sampler (train, val ...).
        pass_id (int): Number of the sampler pass (iteration over the
            sampler) the sample belongs to; increases with every pass.
        position (int): Position of the sample in its epoch.
        group_start (int): Position of the first sample of its page group.
        expected (int): Samples of this page produced in this epoch pass.
    """

    def __new__(cls, page: int, key: int, stream: int, pass_id: int,
                position: int, group_start: int, expected: int):
        self = super().__new__(cls, int(page))
        self.key = int(key)
        self.stream = int(stream)
        self.pass_id = int(pass_id)
        self.position = int(position)
        self.group_start = int(group_start)
        self.expected = int(expected)
        return self

    @property
    def page(self) -> int:
        """Dataset index of the page."""
        return int(self)

    def __reduce__(self):
        return (CropIndex, (int(self), self.key, self.stream, self.pass_id,
                            self.position, self.group_start, self.expected))

    def to_dict(self) -> Dict[str, int]:
        """The descriptor as a plain dict (what the pipeline sees)."""
        return dict(page=int(self), key=self.key, stream=self.stream,
                    pass_id=self.pass_id, position=self.position,
                    group_start=self.group_start, expected=self.expected)

    def __repr__(self) -> str:
        return (f'CropIndex(page={int(self)}, pass_id={self.pass_id}, '
                f'position={self.position})')
