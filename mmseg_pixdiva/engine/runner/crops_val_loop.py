"""A validation loop that scores every crop the sampler yields."""
from mmengine.dist import get_world_size
from mmengine.runner import ValLoop
from mmseg.registry import LOOPS


def evaluated_size(dataloader) -> int:
    """How many results a validation pass produces, over all ranks.

    mmengine's :class:`ValLoop` assumes one result per dataset item and
    passes ``len(dataset)``; a sampler that yields more samples than the
    dataset has items (:class:`CropsPerImageSampler`: ``crops_per_image``
    crops of every page) produces ``len(sampler)`` per rank, every rank the
    same number.

    Args:
        dataloader: The validation dataloader.

    Returns:
        int: ``len(sampler) * world_size`` for a
        :class:`~mmseg_pixdiva.datasets.samplers.CropsPerImageSampler`,
        else ``len(dataset)`` (mmengine's own choice).
    """
    from ...datasets.samplers import CropsPerImageSampler
    sampler = getattr(dataloader, 'sampler', None)
    if isinstance(sampler, CropsPerImageSampler):
        return len(sampler) * get_world_size()
    return len(dataloader.dataset)


@LOOPS.register_module()
class CropsValLoop(ValLoop):
    """:class:`ValLoop` for crop samplers: every crop counts in the metrics.

    ``ValLoop.run`` ends with ``evaluator.evaluate(len(dataset))``, and the
    evaluator keeps only that many results, so with
    :class:`CropsPerImageSampler` only the first crops (as many as there are
    pages) would be scored. This loop runs the parent's loop unchanged and
    only passes :func:`evaluated_size` instead. Use it as
    ``val_cfg = dict(type='CropsValLoop')``; with any other sampler it
    behaves exactly like ``ValLoop``.
    """

    def run(self) -> dict:
        """Launch validation (the parent's loop, the right size)."""
        size = evaluated_size(self.dataloader)
        evaluator = self.evaluator
        evaluate = evaluator.evaluate
        # An instance attribute shadows the method for this pass only.
        evaluator.evaluate = lambda _size: evaluate(size)
        try:
            return super().run()
        finally:
            del evaluator.evaluate
