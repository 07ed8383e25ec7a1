"""BF16AutocastOptimWrapper: bfloat16 forward on the CPU, float32 weights,
gradients and optimizer state, built from a config like any optim wrapper."""
import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper

from mmseg_pixdiva.engine.optimizers import BF16AutocastOptimWrapper


class TinyNet(nn.Module):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 3, 1)

    def forward(self, x):
        return self.head(torch.relu(self.conv(x)))


def build(model, lr=1e-2, **kwargs):
    # bfloat16 all the same: the behaviour under test, on any CPU.
    kwargs.setdefault('bf16_without_cpu_support', True)
    return build_optim_wrapper(model, dict(
        type='BF16AutocastOptimWrapper', optimizer=dict(type='Adam', lr=lr),
        **kwargs))


def test_builds_from_a_config_through_mmseg_registry():
    import mmseg_pixdiva  # noqa: F401  (registers lazily)
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    wrapper = build(TinyNet())
    assert isinstance(wrapper, BF16AutocastOptimWrapper)


def test_forward_is_bfloat16_inside_the_context_only():
    model = TinyNet()
    wrapper = build(model)
    x = torch.randn(2, 3, 8, 8)
    with wrapper.optim_context(model):
        inside = model(x)
        loss = nn.functional.cross_entropy(inside,
                                           torch.zeros(2, 8, 8).long())
    assert inside.dtype == torch.bfloat16
    assert loss.dtype == torch.float32  # autocast's policy for losses
    assert model(x).dtype == torch.float32  # validation/testing: float32


def test_training_keeps_float32_state_and_learns():
    torch.manual_seed(0)
    model = TinyNet()
    wrapper = build(model, lr=3e-2)
    x = torch.randn(4, 3, 8, 8)
    # Target: the class whose input channel is largest (learnable by a 1x1
    # map, so the loss must fall well below its start).
    target = x.argmax(1)
    losses = []
    for _ in range(60):
        with wrapper.optim_context(model):
            loss = nn.functional.cross_entropy(model(x), target)
        wrapper.update_params(loss)
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0], losses[::10]
    for param in model.parameters():
        assert param.dtype == torch.float32
        assert param.grad is None or param.grad.dtype == torch.float32
    for state in wrapper.optimizer.state.values():
        assert state['exp_avg'].dtype == torch.float32


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_autocast_follows_the_model_to_the_gpu():
    model = TinyNet().cuda()
    wrapper = build(model)
    with wrapper.optim_context(model):
        out = model(torch.randn(1, 3, 8, 8, device='cuda'))
    assert out.dtype == torch.bfloat16


@pytest.mark.parametrize('has_instructions', [True, False])
def test_a_cpu_without_bf16_instructions_trains_in_float32(
        monkeypatch, has_instructions):
    """There bfloat16 is about 10x slower: float32, said once in the log."""
    from mmseg_pixdiva.engine.optimizers import bf16_autocast_optim_wrapper
    monkeypatch.setattr(bf16_autocast_optim_wrapper,
                        'cpu_has_bf16_instructions', lambda: has_instructions)
    logged = []
    monkeypatch.setattr(bf16_autocast_optim_wrapper, 'print_log',
                        lambda message, **kwargs: logged.append(message))
    model = TinyNet()
    default = build(model, bf16_without_cpu_support=False)
    insisting = build(model, bf16_without_cpu_support=True)
    x = torch.randn(1, 3, 8, 8)
    for _ in range(2):
        with default.optim_context(model):
            out = model(x)
        assert out.dtype == (torch.bfloat16 if has_instructions
                             else torch.float32)
        with insisting.optim_context(model):
            assert model(x).dtype == torch.bfloat16
    said = [line for line in logged if 'no bfloat16 instructions' in line]
    assert len(said) == (0 if has_instructions else 1)


def test_the_cpu_check_reads_torchs_flags(monkeypatch):
    import platform

    from mmseg_pixdiva.engine.optimizers.bf16_autocast_optim_wrapper import \
        cpu_has_bf16_instructions
    monkeypatch.setattr(platform, 'machine', lambda: 'x86_64')
    for avx512_bf16, amx, expected in ((False, False, False),
                                       (True, False, True),
                                       (False, True, True)):
        monkeypatch.setattr(torch.cpu, '_is_avx512_bf16_supported',
                            lambda value=avx512_bf16: value, raising=False)
        monkeypatch.setattr(torch.cpu, '_is_amx_tile_supported',
                            lambda value=amx: value, raising=False)
        assert cpu_has_bf16_instructions() is expected
    # Not an x86 CPU: its own bfloat16 flags are not known here.
    monkeypatch.setattr(platform, 'machine', lambda: 'aarch64')
    assert cpu_has_bf16_instructions() is True
