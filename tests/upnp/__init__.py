"""Tests of the HA-free UPnP client."""
