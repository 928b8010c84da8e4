"""Test support shared by every service's tests: real servers on demand, corpora, ports."""
