"""Look-ups in the Sonos UPnP service catalog."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from .catalog_data import GLOBAL_ERRORS, MODELS, SERVICES
from .catalog_types import Action, Argument, Model, Service, StateVariable
from .exceptions import UpnpArgumentError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "GLOBAL_ERRORS",
    "INTEGER_RANGES",
    "MODELS",
    "SERVICES",
    "SERVICES_BY_NAME",
    "Action",
    "Argument",
    "Model",
    "Service",
    "StateVariable",
    "error_label",
    "get_service",
]

INTEGER_RANGES: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {
        "ui1": (0, 2**8 - 1),
        "ui2": (0, 2**16 - 1),
        "ui4": (0, 2**32 - 1),
        "i1": (-(2**7), 2**7 - 1),
        "i2": (-(2**15), 2**15 - 1),
        "i4": (-(2**31), 2**31 - 1),
    }
)

SERVICES_BY_NAME: Final[Mapping[str, Service]] = MappingProxyType(
    {service.name: service for service in SERVICES}
)
_GLOBAL_ERRORS: Final = dict(GLOBAL_ERRORS)


def get_service(name: str) -> Service:
    """Return the service called name or raise UpnpArgumentError."""
    try:
        return SERVICES_BY_NAME[name]
    except KeyError:
        raise UpnpArgumentError(
            f"unknown service {name!r}; valid services: "
            + ", ".join(sorted(SERVICES_BY_NAME))
        ) from None


def error_label(service: Service, code: int) -> str | None:
    """Return the label of a fault code: the service's own first, then global."""
    return dict(service.errors).get(code) or _GLOBAL_ERRORS.get(code)
