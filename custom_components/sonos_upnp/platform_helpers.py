"""Adding entities as the household changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SonosUpnpConfigEntry
from .household_changes import Roster, RosterContext


@callback
def async_add_player_entities(
    entry: SonosUpnpConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    factory: Callable[[str], Iterable[Entity]],
) -> None:
    """Add factory(uuid)'s entities for every player with a device, now and later.

    Visible players get devices; a player that goes missing keeps its device
    (and so its entities, unavailable) until the household lets it go, when
    the device registry removes the entities with the device.
    """
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def add_new_players() -> None:
        # Players come and go only with a change of some player.
        if (changed := coordinator.changes.players) is not None and all(
            uuid in known and coordinator.has_device(uuid) for uuid in changed
        ):
            return
        players = {
            player.uuid for player in coordinator.data.topology.visible_players
        } | coordinator.kept_players()
        # A released player that returns gets new entities.
        known.intersection_update(players)
        new = sorted(players - known)
        known.update(new)
        entities = [entity for uuid in new for entity in factory(uuid)]
        if entities:
            async_add_entities(entities)

    add_new_players()
    entry.async_on_unload(
        coordinator.async_add_listener(add_new_players, RosterContext(Roster.PLAYERS))
    )
