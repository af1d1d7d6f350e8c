"""A faithful local stand-in for Xero's identity and accounting APIs (see ``sandbox.py`` and
``control.py``)."""

from .clock import SandboxClock
from .sandbox import XeroSandbox

__all__ = ["SandboxClock", "XeroSandbox"]
