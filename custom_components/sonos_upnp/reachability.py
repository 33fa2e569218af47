"""The repair issue that says a whole household does not answer.

The household is unreachable when the last read failed at every address we
know, or when every visible player's subscription has failed since. Then
every entity of the household is unavailable and one repair issue, naming
the entry, says why; it goes once any speaker answers again.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, LOGGER

UNREACHABLE_ISSUE = "household_unreachable"


class HouseholdReachability:
    """Raises and clears the household's unreachable issue on changes."""

    def __init__(self, hass: HomeAssistant, household_id: str, title: str) -> None:
        """Start unknown: the first verdict decides."""
        self.hass = hass
        self.household_id = household_id
        self.title = title
        self.reachable: bool | None = None

    @property
    def issue_id(self) -> str:
        """Return the ID of the household's repair issue."""
        return f"{UNREACHABLE_ISSUE}_{self.household_id}"

    @callback
    def async_update(self, *, reachable: bool, addresses: int) -> None:
        """Record the verdict; log, raise or clear the issue when it changes."""
        if reachable == self.reachable:
            return
        was_known = self.reachable is not None
        self.reachable = reachable
        if reachable:
            if was_known:
                LOGGER.info("Sonos household %s answers again", self.title)
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
            return
        LOGGER.warning(
            "No speaker of Sonos household %s answers (%d addresses tried)",
            self.title,
            addresses,
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self.issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="household_unreachable",
            translation_placeholders={
                "entry_title": self.title,
                "household_id": self.household_id,
                "addresses": str(addresses),
            },
        )

    @callback
    def async_clear(self) -> None:
        """Drop the issue (the entry unloads)."""
        self.reachable = None
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
