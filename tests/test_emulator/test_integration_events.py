"""Our integration on a household whose players have their own addresses.

The integration's listener refuses NOTIFYs that do not come from the player
subscribed to; this holds only because each emulated player sends its events
from its own address, as a real one does.
"""

from __future__ import annotations

from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.sonos_upnp.const import DOMAIN
from custom_components.sonos_upnp.switch import alarm_unique_id
from tests.common import wait_for, wait_for_subscriptions
from tests.conftest import entry_for
from tests.emulator.alarms import Alarm
from tests.emulator.pytest_plugin import HouseholdFactory


async def test_events_from_distinct_hosts_reach_the_entities(
    hass: HomeAssistant, emulator_household_factory: HouseholdFactory
) -> None:
    household = await emulator_household_factory(
        "singles", players=3, seed=11, distinct_hosts=True
    )
    assert len({p.host for p in household.players}) == 3
    entry = entry_for(household)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    try:
        await wait_for_subscriptions(
            hass, entry.runtime_data.coordinator, events_flow=True
        )
        # Only an AlarmClock event tells the integration about this alarm.
        alarm = household.alarms.create(
            Alarm(
                id=0,
                start_time="06:45:00",
                duration="00:30:00",
                recurrence="WEEKENDS",
                enabled=True,
                room_uuid=household.players[2].uuid,
            )
        )
        household.alarms_changed()
        unique_id = alarm_unique_id(household.household_id, alarm.id)
        registry = er.async_get(hass)
        await wait_for(
            hass, lambda: registry.async_get_entity_id("switch", DOMAIN, unique_id)
        )
        entity_id = registry.async_get_entity_id("switch", DOMAIN, unique_id)
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == STATE_ON
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
