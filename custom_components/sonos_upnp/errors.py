"""Turning client errors into the errors Home Assistant shows the user."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .upnp.exceptions import (
    AlarmNotFoundError,
    DuplicateAlarmError,
    UpnpArgumentError,
    UpnpClientError,
    UpnpConnectionError,
    UpnpError,
)


def user_facing_error(err: UpnpClientError) -> HomeAssistantError:
    """Return the translated error to raise for a failed client call.

    What the user can fix (a bad value, an unknown alarm, a start time the room
    already has) is a ServiceValidationError; the rest is the speaker's or the
    network's trouble.
    """
    if isinstance(err, UpnpArgumentError):
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_argument",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, AlarmNotFoundError):
        return ServiceValidationError(
            translation_domain=DOMAIN, translation_key="alarm_not_found"
        )
    if isinstance(err, DuplicateAlarmError):
        return ServiceValidationError(
            translation_domain=DOMAIN, translation_key="duplicate_alarm_time"
        )
    if isinstance(err, UpnpError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="speaker_error",
            translation_placeholders={
                "code": str(err.code),
                # Sonos sends only the code; the label is the catalog's, if any.
                "label": f" ({err.label})" if err.label else "",
                "action": f"{err.service}.{err.action}",
            },
        )
    if isinstance(err, UpnpConnectionError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="bad_response",
        translation_placeholders={"error": str(err)},
    )
