"""What a browser is told when connecting Xero cannot go on, written for the person holding it.

Every step of the web dance (opening the link, Xero's callback, the organisation chooser) refuses the same few
ways — an altered, expired or replayed link, another browser, a role that changed, a server without Xero — so
the titles, messages and HTTP statuses live here once and the web routes only render them.
"""

from __future__ import annotations

from xero.oauth import XeroOAuthError, XeroUnavailable


class ConnectRefused(Exception):
    """A step of the web dance cannot go on. `title` and `message` are for the person's browser, as written."""

    def __init__(self, kind: str, title: str, message: str, status: int = 400) -> None:
        super().__init__(f"{kind}: {title}")
        self.kind = kind
        self.title = title
        self.message = message
        self.status = status


AGAIN = "Go back to Hour Cap's Home tab in Slack and press “Connect to Xero” again."


def refused(kind: str) -> ConnectRefused:
    """The refusal for `kind`: bad_link, expired, used, other_browser, not_admin, not_configured, no_organisation."""
    pages = {
        "bad_link": ("This link is not valid",
                     "It may have been changed or copied incompletely. " + AGAIN, 400),
        "expired": ("This link has expired",
                    "Links to connect Xero work for 10 minutes, once. " + AGAIN, 400),
        "used": ("This link was already used",
                 "Each link connects Xero once, so an old or reloaded page cannot be replayed. " + AGAIN, 400),
        "other_browser": ("This link belongs to another browser",
                          "It was opened in a different browser (or by someone else), so this browser cannot "
                          "finish connecting with it. Open the link from Slack in one browser and finish "
                          "there. " + AGAIN, 403),
        "not_admin": ("Only admins can connect Xero",
                      "Your Hour Cap role changed since the link was made: only admins and the owner can connect "
                      "or disconnect Xero.", 403),
        "not_configured": ("Xero is not set up on this server",
                           "The operator sets XERO_CLIENT_ID and XERO_CLIENT_SECRET to let Hour Cap connect.", 503),
        "no_organisation": ("No organisation was connected",
                            "Xero did not grant access to any organisation. " + AGAIN, 400),
    }
    title, message, status = pages[kind]
    return ConnectRefused(kind, title, message, status)


def unavailable_message(problem: XeroOAuthError) -> tuple[str, str, int]:
    """(title, message, status) for a browser page when a Xero call failed."""
    if isinstance(problem, XeroUnavailable):
        return ("Xero is not answering right now",
                "Nothing was connected. Xero's login service did not answer properly; try again in a few minutes. "
                + AGAIN, 503)
    return ("Xero refused to connect",
            f"{problem.message} Nothing was connected. " + AGAIN, 502)
