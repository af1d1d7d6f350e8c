"""``hourcap sandbox xero``: run the Xero stand-in on its own and say how to use it."""

from __future__ import annotations

import argparse
import threading

from .sandbox import XeroSandbox


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hourcap sandbox xero", description="Run the local Xero stand-in.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback by default)")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        help="redirect URI to register for the demo app (repeatable)",
    )
    parser.add_argument("--client-id", help="fixed client id for the demo app")
    parser.add_argument("--client-secret", help="fixed client secret for the demo app")
    parser.add_argument("--webhook-url", help="deliver webhook events to this URL")
    parser.add_argument("--auto-consent", action="store_true", help="skip the consent page")
    args = parser.parse_args(argv)
    sandbox = XeroSandbox(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        redirect_uris=args.redirect_uris,
        auto_consent=args.auto_consent,
    )
    sandbox.start()
    if args.webhook_url:
        sandbox.set_webhook(args.webhook_url)
    lines = [
        "Xero sandbox running (Ctrl-C to stop)",
        f"  client id:       {sandbox.client_id}",
        f"  client secret:   {sandbox.client_secret}",
        f"  webhook key:     {sandbox.webhook_key}",
        f"  redirect URIs:   {' '.join(sandbox.app.redirect_uris)}",
        f"  authorize URL:   {sandbox.login_url}",
        f"  identity URL:    {sandbox.identity_url}  (token: {sandbox.token_url})",
        f"  accounting API:  {sandbox.api_url}",
        f"  connections URL: {sandbox.connections_url}",
        f"  controls:        {sandbox.base_url}/_sandbox/info",
        f"  organisations:   {sandbox.tenants.demo_tenant_id} (demo), {sandbox.tenants.second_tenant_id}",
    ]
    print("\n".join(lines), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
