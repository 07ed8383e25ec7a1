"""Fixtures for the model tests."""
import pytest

from tiny_segmentor import build_tiny_model


@pytest.fixture
def tiny_model_factory():
    """Builds the tiny UNet+FCN segmentor (see tiny_segmentor.py)."""
    return build_tiny_model
