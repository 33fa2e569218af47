"""Autoplay settings: answered only for the inputs a model really has.

The catalog tells which models have a TV input (they expose HTControl) and
which have a line-in (they expose AudioIn). DeviceProperties declares the
autoplay actions on every model, so only the `Source` argument tells them
apart: a source the model has no input for is refused with UPnP 402. What a
real player answers there, and the name of the line-in source, the catalog
cannot tell (see README.md, "Per model").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from custom_components.sonos_upnp.upnp.catalog import Model, get_service

TV_SOURCE: Final = "TV"
LINE_IN_SOURCE: Final = "LineIn"


@dataclass(slots=True)
class AutoplaySettings:
    """What a player does when audio arrives on one of its inputs."""

    room_uuid: str = ""
    """The room that starts playing it; empty: autoplay is off."""
    include_linked_zones: bool = True
    volume: int = 25
    use_volume: bool = False


def has_tv_input(model: Model) -> bool:
    """Return True for models with a TV input (HDMI/optical): HTControl."""
    return f"v2-{model.model}" in get_service("HTControl").models


def has_line_in(model: Model) -> bool:
    """Return True for models with an analog line-in: AudioIn."""
    return f"v2-{model.model}" in get_service("AudioIn").models


def autoplay_sources(model: Model) -> dict[str, AutoplaySettings]:
    """Return fresh autoplay settings for each input the model has."""
    sources: dict[str, AutoplaySettings] = {}
    if has_tv_input(model):
        sources[TV_SOURCE] = AutoplaySettings()
    if has_line_in(model):
        sources[LINE_IN_SOURCE] = AutoplaySettings()
    return sources
