"""Recto's command line and the composition of its services into one stack."""

SERVICES = ("relay", "ingest", "analyzer", "exporter", "gateway")
