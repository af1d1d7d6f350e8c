"""Files the tests read from `../shared`, the directory beside the repository: Xero's OpenAPI descriptions and
Slack's app-manifest schema. They are not part of this repository; a test that needs one and finds it absent
skips with a named reason, or fails under HOURCAP_REQUIRE_SERVICES=1 (CI), like a missing service.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.services import unavailable

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
XERO_OPENAPI = SHARED / "xero-openapi"
SLACK_MANIFEST_SCHEMA = SHARED / "slack-manifest-schema" / "manifest.schema.1.0.0.json"


def require(path: Path, what: str) -> Path:
    """`path`, or a loud skip (a failure under HOURCAP_REQUIRE_SERVICES=1) naming what is missing and where."""
    if not path.exists():
        unavailable(what, f"missing at {path} (../shared beside the repository is not checked out)")
    return path
