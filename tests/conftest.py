"""Fixtures shared by every test."""

# pytest-homeassistant-custom-component ships a `custom_components` package of
# its own; importing ours first (pythonpath = .) keeps it from shadowing ours.
import custom_components  # noqa: F401  # isort: skip

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations in every test."""
