"""Config flow: one entry per Sonos household, found by SSDP or by host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import probatio
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.ssdp import SsdpServiceInfo

from . import SonosUpnpConfigEntry
from .address_book import addresses_from_data, addresses_to_data, is_ip_address
from .const import (
    CONF_ADDRESSES,
    CONF_ADVERTISE_HOST,
    CONF_ADVERTISE_PORT,
    CONF_POLL_INTERVAL,
    CONF_UDN,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_PORT,
    DOMAIN,
    LOGGER,
    MIN_POLL_INTERVAL,
)
from .upnp.client import SonosUpnpClient
from .upnp.error_text import describe_os_error
from .upnp.exceptions import (
    UpnpArgumentError,
    UpnpClientError,
    UpnpConnectionError,
)
from .upnp.netutil import async_local_address_for, check_port_bindable


@dataclass(frozen=True, slots=True)
class SpeakerInfo:
    """What the flow learns from one speaker."""

    host: str
    port: int
    udn: str
    room_name: str
    household_id: str


class SonosUpnpConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Sonos household."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovered: SpeakerInfo | None = None

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: SonosUpnpConfigEntry,  # noqa: ARG004
    ) -> SonosUpnpOptionsFlow:
        """Return the options flow."""
        return SonosUpnpOptionsFlow()

    async def _async_read_speaker(self, host: str, port: int) -> SpeakerInfo:
        client = SonosUpnpClient(async_get_clientsession(self.hass))
        description = await client.device_description(host, port)
        household_id = await client.household_id(host, port)
        return SpeakerInfo(
            host=host,
            port=port,
            udn=description.udn,
            room_name=description.room_name,
            household_id=household_id,
        )

    async def _async_try_speaker(
        self, user_input: dict[str, Any], errors: dict[str, str]
    ) -> SpeakerInfo | None:
        """Read the speaker the user entered; on failure, fill errors."""
        host, port = user_input[CONF_HOST].strip(), user_input[CONF_PORT]
        try:
            return await self._async_read_speaker(host, port)
        except UpnpArgumentError:
            errors[CONF_HOST] = "invalid_host"
        except UpnpConnectionError as err:
            LOGGER.debug("Speaker at %s:%s not reached: %s", host, port, err)
            errors["base"] = "cannot_connect"
        except UpnpClientError as err:
            # Something answered, but not as a Sonos speaker does.
            LOGGER.debug("Speaker at %s:%s answered oddly: %s", host, port, err)
            errors["base"] = "not_sonos"
        return None

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Set up a household from the address of one of its speakers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            speaker = await self._async_try_speaker(user_input, errors)
            if speaker is not None:
                # An open discovery flow of this household must not block the
                # user; creating the entry aborts that flow.
                await self.async_set_unique_id(
                    speaker.household_id, raise_on_progress=False
                )
                self._abort_if_unique_id_configured()
                return self._async_create(speaker)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _speaker_schema(), user_input or {CONF_PORT: DEFAULT_PORT}
            ),
            errors=errors,
        )

    async def async_step_ssdp(
        self, discovery_info: SsdpServiceInfo
    ) -> ConfigFlowResult:
        """Handle a ZonePlayer found by SSDP."""
        if not discovery_info.ssdp_location:
            return self.async_abort(reason="not_sonos")
        location = urlsplit(discovery_info.ssdp_location)
        if location.hostname is None:
            return self.async_abort(reason="not_sonos")
        host, port = location.hostname, location.port or DEFAULT_PORT
        try:
            speaker = await self._async_read_speaker(host, port)
        except UpnpConnectionError:
            return self.async_abort(reason="cannot_connect")
        except UpnpClientError:
            return self.async_abort(reason="not_sonos")
        await self.async_set_unique_id(speaker.household_id)
        self._abort_if_same_speaker_moved(speaker)
        self._abort_if_unique_id_configured()
        self._discovered = speaker
        self.context["title_placeholders"] = {"name": speaker.room_name}
        return await self.async_step_confirm()

    def _abort_if_same_speaker_moved(self, speaker: SpeakerInfo) -> None:
        """Store the new address when a speaker of a configured household moved.

        Any speaker of a configured household aborts. Every speaker's address
        is remembered (it answered with its UDN and household ID, so it is
        checked); only the speaker the entry talks to updates the configured
        address, so the discovery of other rooms does not make the entry hop
        between speakers.
        """
        entry = self.hass.config_entries.async_entry_for_domain_unique_id(
            DOMAIN, speaker.household_id
        )
        if entry is None:
            return
        remembered = addresses_from_data(entry.data.get(CONF_ADDRESSES))
        address = (speaker.host, speaker.port)
        updates: dict[str, Any] = {}
        if is_ip_address(speaker.host) and remembered.get(speaker.udn) != address:
            updates[CONF_ADDRESSES] = addresses_to_data(
                {**remembered, speaker.udn: address}
            )
        if entry.data.get(CONF_UDN) == speaker.udn:
            self._abort_if_unique_id_configured(
                updates={**updates, CONF_HOST: speaker.host, CONF_PORT: speaker.port}
            )
        if updates:
            # Another room: the loaded entry reads the new address when it
            # needs it; an entry retrying setup is reloaded by the discovery.
            self._abort_if_unique_id_configured(updates=updates, reload_on_update=False)

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user confirm the discovered household."""
        assert self._discovered is not None
        if user_input is not None:
            return self._async_create(self._discovered)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="confirm",
            description_placeholders={
                "name": self._discovered.room_name,
                "host": self._discovered.host,
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Point the entry at another speaker of the same household."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            speaker = await self._async_try_speaker(user_input, errors)
            if speaker is not None:
                await self.async_set_unique_id(speaker.household_id)
                self._abort_if_unique_id_mismatch(reason="wrong_household")
                # Without an explicit reason Home Assistant shows its own
                # generic text instead of ours.
                return self.async_update_reload_and_abort(
                    entry,
                    data_updates={
                        CONF_HOST: speaker.host,
                        CONF_PORT: speaker.port,
                        CONF_UDN: speaker.udn,
                    },
                    reason="reconfigure_successful",
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                _speaker_schema(), user_input or dict(entry.data)
            ),
            errors=errors,
        )

    def _async_create(self, speaker: SpeakerInfo) -> ConfigFlowResult:
        return self.async_create_entry(
            title=f"Sonos ({speaker.room_name})",
            data={
                CONF_HOST: speaker.host,
                CONF_PORT: speaker.port,
                CONF_UDN: speaker.udn,
            },
        )


class SonosUpnpOptionsFlow(OptionsFlowWithReload):
    """Options: where speakers send events, and how often to poll without them."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            port = user_input.get(CONF_ADVERTISE_PORT)
            problem = await self._async_port_problem(port) if port else None
            if problem is None:
                return self.async_create_entry(data=user_input)
            errors[CONF_ADVERTISE_PORT] = problem[0]
            placeholders = {"port": str(port), "error": problem[1]}
        schema = probatio.Schema(
            {
                probatio.Optional(CONF_ADVERTISE_HOST): cv.string,
                probatio.Optional(CONF_ADVERTISE_PORT): probatio.All(
                    probatio.Coerce(int), probatio.Range(min=1, max=65535)
                ),
                probatio.Required(
                    CONF_POLL_INTERVAL, default=DEFAULT_POLL_INTERVAL
                ): probatio.All(
                    probatio.Coerce(int),
                    probatio.Range(min=MIN_POLL_INTERVAL, max=3600),
                ),
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input or dict(self.config_entry.options)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _async_port_problem(self, port: int) -> tuple[str, str] | None:
        """Return why the listener could not bind port, as (error key, reason).

        The listener binds the address that faces the entry's speaker; the
        port the entry's own running listener holds is fine.
        """
        entry = self.config_entry
        if (
            entry.state is ConfigEntryState.LOADED
            and entry.runtime_data.listener.started
            and entry.runtime_data.listener.port == port
        ):
            return None
        try:
            address = await async_local_address_for(entry.data[CONF_HOST])
        except UpnpConnectionError as err:
            return "no_route_to_speaker", str(err)
        try:
            await self.hass.async_add_executor_job(check_port_bindable, address, port)
        except OSError as err:
            return "port_unavailable", describe_os_error(err)
        return None


def _speaker_schema() -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(CONF_HOST): cv.string,
            probatio.Required(CONF_PORT, default=DEFAULT_PORT): probatio.All(
                probatio.Coerce(int), probatio.Range(min=1, max=65535)
            ),
        }
    )
