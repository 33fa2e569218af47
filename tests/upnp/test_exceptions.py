"""The client's exceptions carry what callers branch on."""

from custom_components.sonos_upnp.upnp.exceptions import (
    DuplicateAlarmError,
    SubscriptionError,
    UpnpClientError,
    UpnpError,
)


def test_upnp_error_keeps_code_label_service_and_action() -> None:
    error = DuplicateAlarmError(
        801, "Duplicate alarm time", "AlarmClock", "CreateAlarm"
    )
    assert isinstance(error, UpnpError)
    assert isinstance(error, UpnpClientError)
    assert (error.code, error.label, error.service, error.action) == (
        801,
        "Duplicate alarm time",
        "AlarmClock",
        "CreateAlarm",
    )
    assert str(error) == (
        "AlarmClock.CreateAlarm failed with UPnP error 801 (Duplicate alarm time)"
    )


def test_upnp_error_without_label() -> None:
    assert str(UpnpError(999, None, "QPlay", "QPlayAuth")) == (
        "QPlay.QPlayAuth failed with UPnP error 999"
    )


def test_subscription_error_keeps_status() -> None:
    error = SubscriptionError("renewal refused", 412)
    assert error.status == 412
    assert str(error) == "renewal refused"
