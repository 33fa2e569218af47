"""Exceptions of the Sonos UPnP client; every failure it reports is one of these."""

from __future__ import annotations


class UpnpClientError(Exception):
    """Base of every error the client raises."""


class UpnpArgumentError(UpnpClientError, ValueError):
    """A call was refused before anything was sent: unknown action or bad argument."""


class UpnpConnectionError(UpnpClientError):
    """The speaker could not be reached, timed out or answered at the HTTP level."""


class UpnpHttpStatusError(UpnpConnectionError):
    """An HTTP server answered, but with a status the request does not accept."""

    def __init__(self, message: str, status: int) -> None:
        """Keep the HTTP status for callers that tell 404 from 503."""
        self.status = status
        super().__init__(message)


class UpnpResponseError(UpnpClientError):
    """A payload was malformed, hostile, oversized or not what the protocol says."""


class UpnpError(UpnpClientError):
    """A SOAP fault: the speaker refused the action with a UPnP error code."""

    def __init__(self, code: int, label: str | None, service: str, action: str) -> None:
        """Keep the fault's parts for callers that branch on the code."""
        self.code = code
        self.label = label
        self.service = service
        self.action = action
        text = f"{service}.{action} failed with UPnP error {code}"
        super().__init__(f"{text} ({label})" if label else text)


class AlarmNotFoundError(UpnpError):
    """The alarm ID is unknown to the household (error 800)."""


class DuplicateAlarmError(UpnpError):
    """Another alarm of the room already starts at that time (error 801)."""


class SubscriptionError(UpnpClientError):
    """A GENA SUBSCRIBE, renewal or UNSUBSCRIBE was refused."""

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the HTTP status (412 means the speaker forgot the SID)."""
        self.status = status
        super().__init__(message)


class NotASonosDeviceError(UpnpResponseError):
    """A device description that is not a Sonos ZonePlayer with a RINCON UDN."""


class UpnpArgumentValueError(UpnpArgumentError):
    """An argument's value is not one the catalog allows for it."""

    def __init__(
        self, *, service: str, action: str, argument: str, value: str, allowed: str
    ) -> None:
        """Keep the parts a caller needs to tell the user what is allowed."""
        self.service = service
        self.action = action
        self.argument = argument
        self.value = value
        self.allowed = allowed
        super().__init__(
            f"{service}.{action} argument {argument}: {value!r} is not allowed; "
            f"allowed: {allowed}"
        )
