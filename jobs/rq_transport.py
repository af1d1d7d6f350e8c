"""The RQ transport: one JSON-serialised job per outbox row, calling `jobs.entry.run(outbox_id)`.

JSON rather than pickle so a job carries plain ids only and a worker never unpickles code-shaped data from
Redis. The RQ job id is the outbox row's `job_id`, so the sweeper can ask Redis about exactly that delivery.
"""

from __future__ import annotations

import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from jobs.transport import TransportUnavailable

ENTRY = "jobs.entry.run"
JOB_TIMEOUT = (
    600  # seconds; below registry.DEFAULT_LEASE so RQ stops a stuck task before its lease looks expired
)
RESULT_TTL = 300  # results are None; keep briefly for inspection
FAILURE_TTL = 7 * 24 * 3600  # keep crashed jobs a week for debugging; the outbox row has the outcome anyway
_GONE = {JobStatus.FINISHED.value, JobStatus.FAILED.value, JobStatus.STOPPED.value, JobStatus.CANCELED.value}
_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RQTransport:
    def __init__(
        self,
        redis_url: str,
        queue_name: str = "hourcap",
        *,
        job_timeout: int = JOB_TIMEOUT,
        connection: redis.Redis | None = None,
    ) -> None:
        # Short timeouts: the relay runs right after a web request commits, and a dead Redis must not stall
        # it.
        self.connection = connection or redis.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=5
        )
        self.queue = Queue(queue_name, connection=self.connection, serializer=JSONSerializer)
        self.job_timeout = job_timeout

    @property
    def queue_name(self) -> str:
        return self.queue.name

    def enqueue(self, outbox_id: int, job_id: str) -> None:
        try:
            self.queue.enqueue_call(
                ENTRY,
                args=(outbox_id,),
                job_id=job_id,
                timeout=self.job_timeout,
                result_ttl=RESULT_TTL,
                failure_ttl=FAILURE_TTL,
                description=f"outbox {outbox_id}",
            )
        except _DOWN as exc:
            raise TransportUnavailable(f"redis unreachable: {exc.__class__.__name__}") from exc

    def knows(self, job_id: str) -> bool:
        """Whether the job is still on its way: waiting in the queue (or scheduled), or being run.

        A job whose hash says "queued" but which is in no queue was popped by a worker that died before starting
        it (RQ's BLPOP-then-prepare window): RQ will never run it, so it counts as lost. A duplicate delivery is
        harmless either way — the executor claims the outbox row with a conditional update.
        """
        key = Job.key_for(job_id)
        try:
            status, origin = self.connection.hmget(key, ["status", "origin"])
            if status is None:
                return False
            text = status.decode() if isinstance(status, bytes) else str(status)
            if text in _GONE:
                return False
            if text == JobStatus.QUEUED.value:
                queue = origin.decode() if isinstance(origin, bytes) else str(origin or self.queue.name)
                return self.connection.lpos(f"rq:queue:{queue}", job_id) is not None
            return True
        except _DOWN as exc:
            raise TransportUnavailable(f"redis unreachable: {exc.__class__.__name__}") from exc

    def started(self, job_id: str) -> bool:
        """Whether a worker has started the job (its horse runs it, or ran it and died)."""
        try:
            status = self.connection.hget(Job.key_for(job_id), "status")
        except _DOWN as exc:
            raise TransportUnavailable(f"redis unreachable: {exc.__class__.__name__}") from exc
        text = status.decode() if isinstance(status, bytes) else str(status or "")
        return text == JobStatus.STARTED.value
