"""Probes: all network I/O lives here and nowhere else.

Each probe turns one question (a DNS name, a TCP endpoint, a TLS handshake, an HTTP request)
into an observation, within its own bounded timeout, and never raises for a network failure:
a failure is an observation too.
"""
