"""What the relay needs from a queue: hand over a job, and say whether a job is still known.

RQ is transport, never the record: the outbox row says what must happen, a transport only carries
`(outbox_id, job_id)` to a worker. `knows` lets the sweeper tell a job that is merely waiting from one that
vanished (Redis restart, flushed keys, a worker that died before claiming the row).
"""

from __future__ import annotations

from typing import Protocol


class TransportUnavailable(Exception):  # noqa: N818 - a state, not a programming error
    """The transport cannot be reached right now; the row stays in the outbox and is relayed later."""


class Transport(Protocol):
    def enqueue(self, outbox_id: int, job_id: str) -> None:
        """Deliver one job; raise `TransportUnavailable` when the queue cannot be reached."""
        ...

    def knows(self, job_id: str) -> bool:
        """True while the job is waiting or running; False once it is finished, failed, stopped or gone."""
        ...
