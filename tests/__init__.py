"""Tests of the Sonos UPnP integration."""
