"""MAC pseudonyms: every form of a MAC is replaced, relations stay readable."""

from custom_components.sonos_upnp.mac_redaction import MacPseudonyms

FIRST = "RINCON_000E58A1B2C301400"
SECOND = "RINCON_48A6B811223301400"


def test_known_players_are_numbered_in_uuid_order() -> None:
    pseudonyms = MacPseudonyms([SECOND, FIRST, "not a rincon"])
    assert pseudonyms.text(FIRST) == "RINCON_player1_01400"
    assert pseudonyms.text(SECOND) == "RINCON_player2_01400"


def test_every_form_of_a_mac_is_replaced_consistently() -> None:
    pseudonyms = MacPseudonyms([FIRST])
    data = {
        "group_id": f"{FIRST}:42",
        "sid": f"uuid:{FIRST}_sub0000000000000001",
        "serial_number": "00-0E-58-A1-B2-C3:E",
        "mac": "00:0e:58:a1:b2:c3",
        "host": "sonos000e58a1b2c3.local",
        FIRST: ["x-rincon:" + FIRST, ("tuple", FIRST.lower())],
        "count": 3,
        "none": None,
    }
    assert pseudonyms.scrub(data) == {
        "group_id": "RINCON_player1_01400:42",
        "sid": "uuid:RINCON_player1_01400_sub0000000000000001",
        "serial_number": "player1:E",
        "mac": "player1",
        "host": "sonosplayer1.local",
        "RINCON_player1_01400": [
            "x-rincon:RINCON_player1_01400",
            ["tuple", "rincon_player1_01400"],
        ],
        "count": 3,
        "none": None,
    }


def test_unknown_macs_get_the_next_number() -> None:
    pseudonyms = MacPseudonyms([FIRST])
    assert pseudonyms.text("vanished RINCON_5CAAFD0000AA01400") == (
        "vanished RINCON_player2_01400"
    )
    assert pseudonyms.text("controller 5C-AA-FD-00-00-AA") == "controller player2"
    assert pseudonyms.text("AA:BB:CC:DD:EE:FF") == "player3"


def test_text_without_macs_is_unchanged() -> None:
    pseudonyms = MacPseudonyms([FIRST])
    for text in ("12:30:00", "192.168.1.20", "Sonos_abcdefABCDEF0123", "00:11:22"):
        assert pseudonyms.text(text) == text
