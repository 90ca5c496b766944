"""Loopback fakes of the external services golocal talks to."""
