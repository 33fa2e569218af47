"""Types of the Sonos UPnP service catalog (the data is in `catalog_data`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from .exceptions import UpnpArgumentError

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class Argument:
    """One input or output argument of an action."""

    name: str
    data_type: str
    state_variable: str
    allowed_values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """A SOAP action with its ordered arguments."""

    name: str
    inputs: tuple[Argument, ...]
    outputs: tuple[Argument, ...]

    def input(self, name: str) -> Argument | None:
        """Return the input argument called name, if the action has one."""
        return next((arg for arg in self.inputs if arg.name == name), None)


@dataclass(frozen=True, slots=True)
class StateVariable:
    """A state variable of a service; evented ones arrive in NOTIFY bodies."""

    name: str
    data_type: str
    evented: bool
    allowed_values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    """A UPnP service as Sonos players expose it."""

    name: str
    service_type: str
    service_id: str
    control_url: str
    event_url: str
    scpd_url: str
    models: tuple[str, ...]
    actions: tuple[Action, ...]
    state_variables: tuple[StateVariable, ...]
    errors: tuple[tuple[int, str], ...]
    _by_name: Mapping[str, Action] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Index the actions by name."""
        object.__setattr__(
            self, "_by_name", MappingProxyType({a.name: a for a in self.actions})
        )

    @property
    def action_names(self) -> tuple[str, ...]:
        """Return the names of all actions, in catalog order."""
        return tuple(self._by_name)

    def action(self, name: str) -> Action:
        """Return the action called name or raise UpnpArgumentError."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UpnpArgumentError(
                f"{self.name} has no action {name!r}; valid actions: "
                + ", ".join(sorted(self._by_name))
            ) from None


@dataclass(frozen=True, slots=True)
class Model:
    """A speaker model the catalog was read from."""

    model: str
    description: str
    software_version: str
    software_generation: int
