"""One emulated Sonos player: its state and its own HTTP server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from custom_components.sonos_upnp.upnp.catalog import SERVICES, Model, Service

from . import control, soap
from .autoplay import autoplay_sources
from .description import device_description, scpd
from .events import event_values
from .faults import Faults, fault_middleware
from .gena import Gena

if TYPE_CHECKING:
    from .household import Household

SHUTDOWN_TIMEOUT: Final = 0.2

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Player:
    """A player: identity, state, topology links, faults and an HTTP server."""

    def __init__(
        self,
        household: Household,
        *,
        uuid: str,
        mac: str,
        room_name: str,
        model: Model,
        host: str,
        port: int,
        boot_seq: int = 10,
    ) -> None:
        """Create the player (not serving yet: see `start`)."""
        self.household = household
        self.uuid = uuid
        self.mac = mac
        self.room_name = room_name
        self.model = model
        self.host = host
        self.port = port
        self.boot_seq = boot_seq
        self.serial = f"{mac.replace(':', '-')}:E"
        self.software_version = model.software_version
        self.hardware_version = "1.20.1.6-2.1"
        self.display_version = "16.4"
        self.display_name = model.description.removeprefix("Sonos ")
        self.icon = "x-rincon-roomicon:living"
        # Rendering and transport state.
        self.volume = 20
        self.mute = False
        self.bass = 0
        self.treble = 0
        self.loudness = True
        self.led_state = "On"
        self.button_lock_state = "Off"
        self.transport_state = "STOPPED"
        self.current_uri = ""
        self.current_uri_metadata = ""
        self.queue_update_id = 0
        self.autoplay = autoplay_sources(model)
        """Autoplay settings by source, only for the inputs the model has."""
        # Topology: `coordinator` is the group's coordinator (self when alone);
        # `bonded_to` is the primary of a stereo pair or home theater for the
        # invisible parts; `channel_map_set`/`ht_sat_chan_map_set` as evented.
        self.coordinator: Player = self
        self.bonded_to: Player | None = None
        self.channel_map_set = ""
        self.ht_sat_chan_map_set = ""
        self.is_satellite = False
        # Machinery.
        self.faults = Faults()
        self.gena = Gena(self)
        self.requests_served = 0
        self.online = False
        self.vanished = False
        """Offline long enough that the others list it under VanishedDevices."""
        self.last_seen = 0
        self._online_changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # -- identity ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return `http://host:port`."""
        return f"http://{self.host}:{self.port}"

    @property
    def location(self) -> str:
        """Return the device description URL."""
        return f"{self.base_url}/xml/device_description.xml"

    @property
    def invisible(self) -> bool:
        """Return True for the hidden parts of a stereo pair or home theater."""
        return self.bonded_to is not None

    @property
    def group_coordinator(self) -> Player:
        """Return the coordinator of this player's group (through its primary)."""
        primary = self.bonded_to or self
        return primary.coordinator

    def __repr__(self) -> str:
        """Name the player."""
        return f"<Player {self.room_name!r} {self.uuid} {self.base_url}>"

    # -- HTTP server ------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[fault_middleware(self)])
        app.router.add_get("/xml/device_description.xml", self._description)
        for service in SERVICES:
            app.router.add_get(service.scpd_url, self._scpd_handler(service))
            app.router.add_post(service.control_url, self._control_handler(service))
            for method in ("SUBSCRIBE", "UNSUBSCRIBE"):
                app.router.add_route(
                    method, service.event_url, self._gena_handler(service)
                )
        control.add_routes(app, self)
        return app

    async def _description(self, _request: web.Request) -> web.Response:
        return web.Response(body=device_description(self), content_type="text/xml")

    def _scpd_handler(self, service: Service) -> Handler:
        body = scpd(service.name)

        async def handler(_request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="text/xml")

        return handler

    def _control_handler(self, service: Service) -> Handler:
        async def handler(request: web.Request) -> web.Response:
            return await soap.handle_control(request, self, service)

        return handler

    def _gena_handler(self, service: Service) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self.gena.handle(request, service)

        return handler

    async def start(self) -> None:
        """Start serving (on the same port again after a restart)."""
        if self._runner is not None:
            return
        runner = web.AppRunner(
            self._build_app(),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        await self._set_online(True)

    async def _set_online(self, online: bool) -> None:
        self.online = online
        async with self._online_changed:
            self._online_changed.notify_all()

    async def wait_online(self, online: bool = True, timeout: float = 5.0) -> None:
        """Wait until the player is (or is no longer) serving."""
        async with asyncio.timeout(timeout), self._online_changed:
            await self._online_changed.wait_for(lambda: self.online is online)

    async def stop(self) -> None:
        """Stop serving: the port refuses connections; subscriptions stay."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._set_online(False)

    async def close(self) -> None:
        """Stop serving and drop every subscription (household shutdown)."""
        self.faults.set_unresponsive(False)
        await self.stop()
        await self.gena.close()

    # -- faults -----------------------------------------------------------

    async def go_offline(self, *, vanish: bool = False) -> None:
        """Disappear from the network: connections are refused.

        With vanish, the other players also drop it from ZoneGroupState
        (listing it under VanishedDevices) and event the new topology, as a
        household does once it notices a player is gone.
        """
        await self.stop()
        if vanish and not self.vanished:
            self.household.vanish(self)

    async def go_online(self) -> None:
        """Come back on the same address (and into the topology)."""
        await self.start()
        if self.vanished:
            self.household.reappear(self)

    async def reboot(self, outage: float = 0.2, *, silent: bool = False) -> None:
        """Reboot: forget subscriptions, BootSeq+1, away for `outage` seconds.

        During the outage the port refuses connections, or with silent the
        player accepts connections and answers nothing.
        """
        if silent:
            self.faults.set_unresponsive(True)
        else:
            await self.stop()
        await self.gena.forget()
        self.boot_seq += 1
        self.transport_state = "STOPPED"
        await asyncio.sleep(outage)
        if silent:
            self.faults.set_unresponsive(False)
        else:
            await self.start()
        self.household.topology_changed()

    def fire_alarm(self, alarm_id: int | None = None) -> None:
        """Make an alarm start playing now (see Household.fire_alarm)."""
        self.household.fire_alarm(alarm_id, room=self)

    # -- events -----------------------------------------------------------

    def event_values(self, service_name: str) -> dict[str, str]:
        """Return every evented variable of a service with its current value."""
        return event_values(self, service_name)

    def notify(self, service_name: str, names: tuple[str, ...] | None = None) -> None:
        """Send an event to the service's subscribers (all or some variables)."""
        if not self.gena.for_service(service_name):
            return
        values = self.event_values(service_name)
        if names is not None:
            values = {name: values[name] for name in names}
        self.gena.notify(service_name, values)

    # -- reporting --------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Return the player's state as JSON-able data."""
        return {
            "uuid": self.uuid,
            "room_name": self.room_name,
            "model": self.model.model,
            "host": self.host,
            "port": self.port,
            "location": self.location,
            "online": self.online,
            "vanished": self.vanished,
            "boot_seq": self.boot_seq,
            "coordinator": self.group_coordinator.uuid,
            "bonded_to": self.bonded_to.uuid if self.bonded_to else None,
            "volume": self.volume,
            "mute": self.mute,
            "transport_state": self.transport_state,
            "current_uri": self.current_uri,
            "faults": self.faults.to_json(),
            "subscriptions": [
                {
                    "sid": s.sid,
                    "service": s.service.name,
                    "timeout": s.timeout,
                    "next_seq": s.next_seq,
                }
                for s in self.gena.subscriptions.values()
            ],
            "events": {
                "sent": self.gena.counters.sent,
                "failed": self.gena.counters.failed,
                "dropped": self.gena.counters.dropped,
            },
            "requests_served": self.requests_served,
        }

    def to_json_text(self) -> str:
        """Return `to_json` as text."""
        return json.dumps(self.to_json())
