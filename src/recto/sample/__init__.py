"""The sample manuscript: pages served through a local IIIF Image API 3 server on loopback."""
