"""An async Sonos UPnP/SOAP and GENA client, free of Home Assistant imports."""
