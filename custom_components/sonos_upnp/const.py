"""Constants of the Sonos UPnP integration."""

import logging
from typing import Final

DOMAIN: Final = "sonos_upnp"
LOGGER: Final = logging.getLogger(__package__)

DEFAULT_PORT: Final = 1400
