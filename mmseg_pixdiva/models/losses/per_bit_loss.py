"""PerBitLoss: one sigmoid output per label bit (multi-label HisDB)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

from ...core.encoding import (HISDB_FOREGROUND_BITS, IGNORE_INDEX,
                              class_bits_table)


def per_bit_targets(label: Tensor, class_bits: Tensor,
                    ignore_index: int = IGNORE_INDEX):
    """Per-bit 0/1 targets and the valid-pixel mask of a class-index map.

    Args:
        label (Tensor): ``N x H x W`` class indices (``ignore_index`` for
            unlabelled pixels).
        class_bits (Tensor): ``num_classes x num_bits`` table
            (:func:`~mmseg_pixdiva.core.encoding.class_bits_table`).
        ignore_index (int): Label of pixels that carry no target.

    Returns:
        tuple[Tensor, Tensor]: ``N x num_bits x H x W`` float targets and an
        ``N x 1 x H x W`` float mask (1 where labelled).
    """
    valid = label != ignore_index
    safe = torch.where(valid, label, torch.zeros_like(label))
    if safe.numel() and int(safe.max()) >= class_bits.shape[0]:
        raise ValueError(
            f'class index {int(safe.max())} in the labels, but the bit table '
            f'has {class_bits.shape[0]} classes (label_values of the loss '
            'and the dataset differ)')
    targets = class_bits.to(label.device)[safe].permute(0, 3, 1, 2)
    return targets.float(), valid.unsqueeze(1).float()


@MODELS.register_module()
class PerBitLoss(nn.Module):
    """Binary cross-entropy per label bit, plus an optional soft Dice term.

    For multi-label GTs such as DIVA-HisDB's, where a blue value ORs class
    bits (decoration + main text = 4 | 8 = 12): the decode head has one
    output per bit (``num_classes=len(bits)``, any mmseg head), each a
    sigmoid logit, and every pixel is a target for every bit. The dataset
    still yields class indices (its ``label_values``); this loss turns them
    into bits, so the data pipeline, the boundary rule (boundary pixels are
    background: no bit set) and the crop sampler stay as they are.

    Args:
        label_values (Sequence[int]): The dataset's blue values, in class
            order (the class indices of the labels).
        bits (Sequence[int]): The bits predicted, in output-channel order;
            HisDB's comment, decoration, main text by default.
        pos_weight (Sequence[float], optional): Weight of positive pixels
            per bit in the cross-entropy (``torch``'s ``pos_weight``).
        dice_weight (float): Weight of a soft Dice loss per bit, computed
            over the whole batch and averaged over the bits. Dice counts
            only the pixels of a bit, so rare bits (decoration: under 0.2 %
            of HisDB's pixels) weigh as much as common ones. 0 turns it off.
        loss_weight (float): Weight of the whole loss.
        loss_name (str): Key of the loss in the log; mmseg adds up losses
            whose names start with ``loss_``.
    """

    def __init__(self,
                 label_values: Sequence[int],
                 bits: Sequence[int] = HISDB_FOREGROUND_BITS,
                 pos_weight: Optional[Sequence[float]] = None,
                 dice_weight: float = 0.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_bits') -> None:
        super().__init__()
        table = torch.from_numpy(class_bits_table(label_values, bits))
        self.register_buffer('class_bits', table, persistent=False)
        self.num_bits = table.shape[1]
        if pos_weight is not None:
            if len(pos_weight) != self.num_bits:
                raise ValueError(f'pos_weight has {len(pos_weight)} values '
                                 f'for {self.num_bits} bits {list(bits)}')
            pos_weight = torch.tensor(pos_weight,
                                      dtype=torch.float32).view(-1, 1, 1)
            self.register_buffer('pos_weight', pos_weight, persistent=False)
        else:
            self.pos_weight = None
        if dice_weight < 0 or loss_weight < 0:
            raise ValueError('dice_weight and loss_weight must be >= 0, got '
                             f'{dice_weight} and {loss_weight}')
        self.dice_weight = float(dice_weight)
        self.loss_weight = float(loss_weight)
        self._loss_name = loss_name

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                ignore_index: int = IGNORE_INDEX,
                **kwargs) -> Tensor:
        """Loss of ``N x num_bits x H x W`` logits against class labels.

        Args:
            cls_score (Tensor): Per-bit logits.
            label (Tensor): ``N x H x W`` class indices.
            weight (Tensor, optional): ``N x H x W`` pixel weights (mmseg's
                pixel sampler).
            ignore_index (int): Unlabelled pixels (padding).

        Returns:
            Tensor: The scalar loss.
        """
        if cls_score.shape[1] != self.num_bits:
            raise ValueError(
                f'PerBitLoss: the head gives {cls_score.shape[1]} outputs '
                f'for {self.num_bits} bits; set the decode head\'s '
                f'num_classes={self.num_bits}')
        targets, mask = per_bit_targets(label, self.class_bits, ignore_index)
        if weight is not None:
            mask = mask * weight.unsqueeze(1).to(mask)
        logits = cls_score.float()
        bce = F.binary_cross_entropy_with_logits(
            logits, targets, reduction='none', pos_weight=self.pos_weight)
        denominator = mask.sum().clamp(min=1.0) * self.num_bits
        loss = (bce * mask).sum() / denominator
        if self.dice_weight:
            probs = logits.sigmoid() * mask
            targets = targets * mask
            dims = (0, 2, 3)
            intersection = (probs * targets).sum(dims)
            total = probs.sum(dims) + targets.sum(dims)
            # +1 on both sides: a bit absent from the batch and predicted
            # nowhere scores 1 (no loss), predicted somewhere less.
            dice = (2 * intersection + 1) / (total + 1)
            loss = loss + self.dice_weight * (1 - dice).mean()
        return self.loss_weight * loss

    @property
    def loss_name(self) -> str:
        """Key of the loss in the log dict."""
        return self._loss_name
