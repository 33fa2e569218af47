"""Pseudonyms for the MAC addresses that Sonos identifiers carry in clear.

A player's UDN is `RINCON_<its 12-digit MAC><port>`, and the same digits are
in group IDs, alarm rooms, alarm list versions, SIDs, serial numbers and
description fields. Diagnostics replace each distinct MAC with `player<n>`
wherever it appears (dictionary keys included), so that a dump still shows
which group, alarm and subscription belong to which player.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

_HEX: Final = "[0-9A-Fa-f]"
_RINCON: Final = re.compile(rf"(RINCON_)({_HEX}{{12}})", re.IGNORECASE)
# 00:0E:58:A1:B2:C3 or 00-0E-58-A1-B2-C3 (the form serial numbers use).
_SEPARATED_MAC: Final = re.compile(
    rf"(?<!{_HEX}){_HEX}{{2}}([:-])(?:{_HEX}{{2}}\1){{4}}{_HEX}{{2}}(?!{_HEX})"
)


class MacPseudonyms:
    """Replace every MAC address in nested data with a stable pseudonym."""

    def __init__(self, uuids: Iterable[str] = ()) -> None:
        """Name the MACs of uuids first, in sorted order, so dumps agree."""
        self._names: dict[str, str] = {}
        self._bare: re.Pattern[str] | None = None
        for uuid in sorted(uuids):
            if match := _RINCON.match(uuid):
                self._name(match.group(2))

    def _name(self, mac: str) -> str:
        key = re.sub(r"[:-]", "", mac).upper()
        if key not in self._names:
            self._names[key] = f"player{len(self._names) + 1}"
            self._bare = None
        return self._names[key]

    def _bare_pattern(self) -> re.Pattern[str]:
        if self._bare is None:
            self._bare = re.compile(
                "|".join(sorted(self._names, key=len, reverse=True)), re.IGNORECASE
            )
        return self._bare

    def text(self, text: str) -> str:
        """Return text with every MAC (RINCON, separated or known bare) replaced."""
        text = _RINCON.sub(lambda m: f"{m.group(1)}{self._name(m.group(2))}_", text)
        text = _SEPARATED_MAC.sub(lambda m: self._name(m.group(0)), text)
        if self._names:
            text = self._bare_pattern().sub(
                lambda m: self._names[m.group(0).upper()], text
            )
        return text

    def scrub(self, data: Any) -> Any:
        """Return data with every string, and every string key, pseudonymised."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, Mapping):
            return {self.scrub(key): self.scrub(value) for key, value in data.items()}
        if isinstance(data, (list, tuple, set, frozenset)):
            return [self.scrub(item) for item in data]
        return data
