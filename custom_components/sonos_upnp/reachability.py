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


def unreachable_issue_id(entry_id: str) -> str:
    """Return the ID of an entry's unreachable-household issue."""
    return f"{UNREACHABLE_ISSUE}_{entry_id}"


class HouseholdReachability:
    """Raises and clears the household's unreachable issue on changes."""

    def __init__(self, hass: HomeAssistant, entry_id: str, title: str) -> None:
        """Start unknown: the first verdict decides."""
        self.hass = hass
        self.entry_id = entry_id
        self.title = title
        self.reachable: bool | None = None

    @property
    def issue_id(self) -> str:
        """Return the ID of the household's repair issue.

        Repair issues are part of diagnostics downloads: the ID names the
        entry, not the household ID, which stands for the Sonos account.
        """
        return unreachable_issue_id(self.entry_id)

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
                "addresses": str(addresses),
            },
        )

    @callback
    def async_clear(self) -> None:
        """Drop the issue (the entry unloads)."""
        self.reachable = None
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
