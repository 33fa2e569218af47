"""Adding entities as the household changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SonosUpnpConfigEntry


@callback
def async_add_player_entities(
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[str], Iterable[Entity]],
) -> None:
    """Add factory(uuid)'s entities for every visible player, now and later.

    A player that leaves the household for good loses its device, and the
    device registry removes its entities with it.
    """
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def add_new_players() -> None:
        new = [
            player.uuid
            for player in coordinator.data.topology.visible_players
            if player.uuid not in known
        ]
        known.update(new)
        entities = [entity for uuid in new for entity in factory(uuid)]
        if entities:
            async_add_entities(entities)

    add_new_players()
    entry.async_on_unload(coordinator.async_add_listener(add_new_players))
