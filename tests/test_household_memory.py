"""What the entry keeps about its players reads back, skipping what is malformed."""

from datetime import UTC, datetime, timedelta

from custom_components.sonos_upnp.address_book import (
    AddressBook,
    addresses_from_data,
    addresses_to_data,
    is_ip_address,
)
from custom_components.sonos_upnp.device_retention import (
    let_go,
    missing_from_data,
    missing_to_data,
    track_missing,
)


def test_addresses_round_trip_and_skip_malformed_entries() -> None:
    addresses = {"RINCON_A": ("192.0.2.1", 1400), "RINCON_B": ("fe80::1%eth0", 1400)}
    data = addresses_to_data(addresses)
    assert addresses_from_data(data) == addresses
    assert addresses_from_data(None) == {}
    assert (
        addresses_from_data(
            {
                **data,
                "RINCON_C": {"host": "speaker.local", "port": 1400},
                "RINCON_D": {"host": "192.0.2.4", "port": True},
                "RINCON_E": "192.0.2.5:1400",
            }
        )
        == addresses
    )


def test_only_ip_literals_are_addresses() -> None:
    assert is_ip_address("192.0.2.1")
    assert is_ip_address("[2001:db8::1]")
    assert not is_ip_address("kitchen.local")
    assert not is_ip_address("")


def test_the_book_keeps_checked_and_refused_addresses_apart() -> None:
    book = AddressBook()
    address = ("192.0.2.1", 1400)
    assert book.needs_check("RINCON_A", address)
    assert book.refuse("RINCON_A", address)
    assert not book.refuse("RINCON_A", address)  # warned once
    assert not book.needs_check("RINCON_A", address)
    book.accept("RINCON_A", address)
    assert book.address_of("RINCON_A") == address
    assert book.uuid_at(address) == "RINCON_A"
    assert book.refuse_name("RINCON_A", "kitchen.local")
    assert not book.refuse_name("RINCON_A", "kitchen.local")
    assert not book.refuse_name("RINCON_A", "192.0.2.9")
    book.forget(["RINCON_A"])
    assert book.address_of("RINCON_A") is None
    assert book.uuid_at(address) is None


def test_missing_times_round_trip_and_skip_malformed_entries() -> None:
    since = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    data = missing_to_data({"RINCON_A": since})
    assert missing_from_data(data) == {"RINCON_A": since}
    assert missing_from_data([]) == {}
    assert missing_from_data(
        {**data, "RINCON_B": "yesterday", "RINCON_C": 5, "RINCON_D": "2026-01-02"}
    ) == {"RINCON_A": since}


def test_absence_is_counted_from_the_first_time_a_player_was_missed() -> None:
    first = datetime(2026, 1, 1, tzinfo=UTC)
    later = first + timedelta(days=3)
    missing = track_missing(
        {"RINCON_A": first},
        ["RINCON_A", "RINCON_B", "RINCON_C"],
        frozenset({"RINCON_C"}),
        later,
    )
    assert missing == {"RINCON_A": first, "RINCON_B": later}
    assert let_go(missing, later, timedelta(days=3)) == {"RINCON_A"}
    assert let_go(missing, later, timedelta(days=4)) == set()
