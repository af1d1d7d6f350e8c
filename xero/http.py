"""The HTTP clients Hour Cap's Xero code builds, all sharing one TLS context per process.

An `httpx2.Client` built without a context makes its own `ssl.SSLContext`, reading the system's CA bundle each
time: tens of milliseconds of CPU (35 ms measured on a busy 2-core machine, ~120 ms inside a job there). Jobs build
clients (`xero.client.XeroClient`, the token refresh in `xero.tokens`, the code exchange in `xero.oauth`); the one
context made here when the module is imported serves every job and request of the process. An SSLContext may be
shared between threads and connections.
"""

from __future__ import annotations

import ssl

import httpx2

TLS: ssl.SSLContext = httpx2.create_ssl_context()  # SSL_CERT_FILE / SSL_CERT_DIR honoured, as httpx2's default


def new_client(timeout: float | httpx2.Timeout) -> httpx2.Client:
    """A pooled client with the process's TLS context; it holds no credentials (callers send their headers)."""
    return httpx2.Client(timeout=timeout, verify=TLS)
