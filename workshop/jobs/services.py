"""Jobs end to end: created by a request, run by a worker, watched, cancelled, cleaned up.

How a job runs (`job_run`, the Celery task's body), so that it is never lost and never applied
twice, whatever dies when:

1. *Claim*, in a short transaction: the job row is locked; a finished or cancelled job is left
   alone (a message delivered twice runs once); otherwise it becomes `running` and its
   `attempts` grows by one. After `JOB_MAX_ATTEMPTS` starts it fails instead ("the worker
   running it stopped").
2. *Work*, in one transaction that holds the job row's lock from start to end: the handler of
   the job's kind writes everything it writes (an import's rows, its ExcelImport record) and
   the job becomes `succeeded` in the same commit. A worker killed mid-job leaves nothing:
   PostgreSQL rolls the transaction back when the connection drops, the lock goes with it,
   the message is handed to another worker (`acks_late`, `reject_on_worker_lost`), which
   claims the job again. A second delivery while the first still works waits on the lock,
   then finds the job finished.
3. *Failure*: a refusal (a bad row, a bad file, storage down …) ends the job `failed` with
   the API's error body for it; nothing the handler wrote stays.

Progress and cancellation go through the shared cache, not the job row: the row is locked
while the job works, and what the work writes is invisible until it commits.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from workshop.errors import Conflict, NotFound, ServiceUnavailable
from workshop.jobs.models import FINISHED, Job, JobStatus

log = structlog.get_logger(__name__)

PROGRESS_EVERY_SECONDS = 0.5  # at most this often a job tells its progress


class JobCancelled(Exception):
    """Raised inside a job's work when a cancellation was asked for: it rolls the work back."""


@dataclass(frozen=True)
class Handler:
    run: Callable[..., dict]  # run(job, progress) -> the job's result
    label: str


HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class Failed:
    """What a handler returns when the work failed but what it recorded must stay (a
    scheduled import's failed run is kept as an ExcelImport with `status: failed`): the job
    ends `failed` with `error` (the API's error body) and `result`, and the handler's writes
    are committed — unlike raising, which rolls them back."""

    error: dict
    result: dict


def job_handler(kind: str, label: str = ""):
    """Registers the function that does a kind of job: `run(job, progress) -> result`. It runs
    inside the job's transaction; it raises to fail the job (the API's error body is kept)."""

    def register(func):
        HANDLERS[kind] = Handler(run=func, label=label or kind)
        return func

    return register


# ------------------------------------------------------------------------------ cache keys
def _progress_key(job_id: int) -> str:
    return f"jobs:progress:{job_id}"


def _cancel_key(job_id: int) -> str:
    return f"jobs:cancel:{job_id}"


def _cache_get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception as exc:  # a cache outage: the rows' own figures
        log.warning("jobs.cache_unavailable", error=type(exc).__name__)
        return {}


def live_progress(jobs: list[Job]) -> dict[int, dict]:
    """The progress running jobs told the cache, by job id (one round trip for a page)."""
    running = [job.pk for job in jobs if job.status == JobStatus.RUNNING]
    if not running:
        return {}
    found = _cache_get_many([_progress_key(pk) for pk in running])
    return {pk: found[_progress_key(pk)] for pk in running if _progress_key(pk) in found}


# ------------------------------------------------------------------------------ events
def notify(job: Job, event: str, *, on_commit: bool = True) -> None:
    """`job.progress` / `job.finished` (topic `jobs`) to the job's owner and to managers and
    admins, with the job as the API shows it. Progress goes at once (the job's work is one
    long transaction); the end once it commits."""
    from workshop.events import publish
    from workshop.jobs.serializers import JobSerializer

    live = {job.pk: {"done": job.progress_done, "total": job.progress_total}}
    publish(
        event,
        topic="jobs",
        resource="jobs",
        object_id=job.pk,
        data=JobSerializer(job, context={"live_progress": live}).data,
        owner_id=job.created_by_id,
        actor=job.created_by_id,
        request_id=job.request_id or None,
        on_commit=on_commit,
    )
    log.info(event, job_id=job.pk, kind=job.kind, status=job.status)


# ------------------------------------------------------------------------------ create
@transaction.atomic
def job_create(
    *,
    kind: str,
    params: dict[str, Any],
    user=None,
    request_id: str = "",
    idempotency_key: str | None = None,
    input_name: str | None = None,
    input_data: bytes | None = None,
    total: int | None = None,
) -> Job:
    """A queued job; its message goes to the broker once this transaction commits. An input
    file (an upload to import) is stored first (S3 or local), so any worker on any host can
    read it; a storage outage is a 503 and nothing is written."""
    if kind not in HANDLERS:
        raise ValueError(f"No handler for jobs of kind {kind!r}")
    job = Job(
        kind=kind,
        params=params,
        created_by=user if user is not None and user.is_authenticated else None,
        request_id=request_id or "",
        idempotency_key=idempotency_key or None,
        progress_total=total,
    )
    if input_data is not None:
        try:
            job.input_file.save(input_name or "upload", ContentFile(input_data), save=False)
        except Exception as exc:  # any storage backend's failure
            log.error("job.storage_failed", error=type(exc).__name__)
            raise ServiceUnavailable("The file storage is unavailable; nothing was queued.") from exc
    try:
        job.save()
    except BaseException:
        if job.input_file:
            _delete_file(job.input_file.name)
        raise
    job_id = job.pk
    transaction.on_commit(lambda: enqueue(job_id))
    log.info("job.queued", job_id=job_id, kind=kind)
    return job


def enqueue(job_id: int) -> None:
    """Hand the job to the broker (in eager mode: run it now, in this process). A broker
    outage leaves it queued; `jobs_requeue_stale` sends it again."""
    from workshop.jobs.tasks import run_job

    try:
        run_job.delay(job_id)
    except Exception as exc:
        if run_job.app.conf.task_always_eager:
            raise
        log.error("job.enqueue_failed", job_id=job_id, error=type(exc).__name__)


# ------------------------------------------------------------------------------ progress
class Progress:
    """What a handler calls as it goes: `progress(done, total=None)`. Tells the cache and the
    job's watchers at most every half second (and at the end), and raises JobCancelled when a
    cancellation was asked for."""

    def __init__(self, job: Job):
        self.job = job
        self.done = 0
        self.total = job.progress_total
        self._last = 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if now - self._last < PROGRESS_EVERY_SECONDS and (self.total is None or done < self.total):
            return
        self._last = now
        self.job.progress_done, self.job.progress_total = done, self.total
        try:
            cache.set(
                _progress_key(self.job.pk),
                {"done": done, "total": self.total},
                timeout=settings.JOB_TIME_LIMIT,
            )
            cancelled = cache.get(_cancel_key(self.job.pk))
        except Exception as exc:  # a cache outage: the job goes on, unwatched
            log.warning("job.progress_unavailable", job_id=self.job.pk, error=type(exc).__name__)
            cancelled = None
        notify(self.job, "job.progress", on_commit=False)
        if cancelled:
            raise JobCancelled()


# ------------------------------------------------------------------------------ run
Describe = Callable[[BaseException], dict]


def job_run(job_id: int, *, describe: Describe) -> str | None:
    """Run a job (the task's body; see the module's docstring). Returns its final status, or
    None when there was nothing to do (finished already, or another attempt has it).
    `describe(exc)` is the API's error body for what ended a job (workshop.jobs.api)."""
    claimed = _claim(job_id, describe)
    if claimed is None:
        return None
    attempt = claimed
    failure: BaseException | None = None
    try:
        with _acting_for(job_id), transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
                return None  # cancelled meanwhile, or a newer attempt took it over
            handler = HANDLERS[job.kind]
            progress = Progress(job)
            log.info("job.started", job_id=job.pk, kind=job.kind, attempt=attempt)
            result = handler.run(job, progress)
            if isinstance(result, Failed):
                job.status, job.result = JobStatus.FAILED, result.result
                job.error = {**result.error, "request_id": job.request_id or None}
            else:
                job.status, job.result = JobStatus.SUCCEEDED, result
            job.finished_at = timezone.now()
            if job.progress_total is None:
                job.progress_total = progress.done
            job.progress_done = job.progress_total
            job.save()
            notify(job, "job.finished")
    except JobCancelled:
        return _finish(job_id, JobStatus.CANCELLED, error=None)
    except Exception as exc:
        failure = exc
    if failure is not None:
        return _finish(job_id, JobStatus.FAILED, error=_error(failure, job_id, describe))
    _forget_live_state(job_id)
    if job.status == JobStatus.FAILED:
        log.warning("job.failed", job_id=job_id, error=job.error.get("error_code"))
    else:
        log.info("job.succeeded", job_id=job_id)
    return job.status


def _acting_for(job_id: int):
    """Events the job's work sends (an import's `import.finished`, a record's `updated`) name
    the user who queued it and their request, as if the request had done the work."""
    from workshop.events import acting

    user_id, request_id = Job.objects.filter(pk=job_id).values_list(
        "created_by_id", "request_id"
    ).first() or (
        None,
        "",
    )
    return acting(user_id=user_id, request_id=request_id or None)


def _claim(job_id: int, describe: Describe) -> int | None:
    """Step 1: the job becomes `running` (attempt n); None when it is not to be run."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINISHED:
            return None
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            job.status = JobStatus.FAILED
            job.finished_at = timezone.now()
            job.error = _error(
                ServiceUnavailable(
                    f"The job was started {job.attempts} times and its worker stopped each time; "
                    "nothing of it was kept."
                ),
                job.pk,
                describe,
            )
            job.save()
            notify(job, "job.finished")
            log.error("job.abandoned", job_id=job.pk, attempts=job.attempts)
            return None
        job.status = JobStatus.RUNNING
        job.attempts += 1
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "attempts", "started_at", "updated_at"])
        return job.attempts


def _finish(job_id: int, status: str, *, error: dict | None) -> str | None:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in FINISHED:
            return None
        job.status = status
        job.error = error
        job.finished_at = timezone.now()
        job.save()
        notify(job, "job.finished")
    _forget_live_state(job_id)
    (log.info if status == JobStatus.CANCELLED else log.warning)(
        f"job.{status}", job_id=job_id, error=(error or {}).get("error_code")
    )
    return status


def _forget_live_state(job_id: int) -> None:
    try:
        cache.delete_many([_progress_key(job_id), _cancel_key(job_id)])
    except Exception:  # noqa: S110 - it expires on its own
        pass


def _error(exc: BaseException, job_id: int, describe: Describe) -> dict:
    """The API's error body for what ended a job, with the request id of the job's request."""
    body = dict(describe(exc))
    if body.get("error_code") == "SERVER_ERROR":
        log.error("job.error", job_id=job_id, error=type(exc).__name__, exc_info=exc)
    job = Job.objects.filter(pk=job_id).only("request_id").first()
    body["request_id"] = (job.request_id if job else "") or None
    return body


# ------------------------------------------------------------------------------ cancel
def job_cancel(*, job: Job) -> Job:
    """A queued job is cancelled at once; a running one stops at its next progress report and
    its work is rolled back (the answer says `running` until then); a finished one is a 409."""
    with transaction.atomic():
        locked = _lock_if_idle(job.pk)
        if locked is False:  # a worker holds it: ask it to stop
            try:
                cache.set(_cancel_key(job.pk), True, timeout=settings.JOB_TIME_LIMIT)
            except Exception as exc:
                raise ServiceUnavailable("The job could not be reached to cancel it; try again.") from exc
            job.refresh_from_db()
            log.info("job.cancel_requested", job_id=job.pk)
            return job
        job = locked
        if job.status in FINISHED:
            raise Conflict(f"This job has already {job.status}; there is nothing to cancel.")
        job.status = JobStatus.CANCELLED
        job.finished_at = timezone.now()
        job.save()
        notify(job, "job.finished")
    log.info("job.cancelled", job_id=job.pk)
    return job


def _lock_if_idle(job_id: int) -> Job | bool:
    """The job row locked, or False when a worker holds it (it is working on it)."""
    from django.db.utils import OperationalError

    if connection.features.has_select_for_update_nowait:
        try:
            with transaction.atomic():  # a savepoint: the refusal must not end the transaction
                return Job.objects.select_for_update(nowait=True).get(pk=job_id)
        except OperationalError:
            return False
    return Job.objects.select_for_update().get(pk=job_id)


# ------------------------------------------------------------------------------ upkeep
def jobs_requeue_stale(*, now=None) -> int:
    """Jobs whose worker is gone: `running` ones no worker holds (their row is not locked) and
    `queued` ones waiting longer than their message should, sent to the broker again (a
    duplicate message is harmless: a job runs once). Needs row locks that skip (PostgreSQL)."""
    if not connection.features.has_select_for_update_skip_locked:
        return 0
    now = now or timezone.now()
    requeued = []
    with transaction.atomic():
        stale = Job.objects.select_for_update(skip_locked=True).filter(
            Q(status=JobStatus.RUNNING, updated_at__lt=now - timedelta(minutes=1))
            | Q(status=JobStatus.QUEUED, updated_at__lt=now - timedelta(minutes=10))
        )
        for job in stale:
            job.save(update_fields=["updated_at"])  # not again for the next minutes
            requeued.append(job.pk)
    for job_id in requeued:
        log.warning("job.requeued", job_id=job_id)
        enqueue(job_id)
    return len(requeued)


def jobs_clean_up(*, now=None, retention_days: int | None = None) -> int:
    """Delete finished jobs older than `JOB_RETENTION_DAYS` and their files."""
    now = now or timezone.now()
    days = settings.JOB_RETENTION_DAYS if retention_days is None else retention_days
    old = Job.objects.filter(status__in=FINISHED, finished_at__lt=now - timedelta(days=days))
    deleted = 0
    for job in old.iterator():
        names = [f.name for f in (job.input_file, job.output_file) if f]
        job.delete()
        for name in names:
            _delete_file(name)
        deleted += 1
    if deleted:
        log.info("jobs.cleaned_up", deleted=deleted)
    return deleted


def _delete_file(name: str) -> None:
    from django.core.files.storage import default_storage

    try:
        default_storage.delete(name)
    except Exception as exc:  # the row is gone; the next clean-up of orphans takes the file
        log.warning("job.file_delete_failed", file=name, error=type(exc).__name__)


def job_stored_file(*, job: Job):
    """Where to read the file an export job wrote (NotFound until there is one)."""
    from workshop.files import stored_file

    if not job.output_file:
        raise NotFound("This job has no file to download (not an export, or not finished).")
    result = job.result or {}
    filename = result.get("filename") or job.output_file.name.rsplit("/", 1)[-1]
    content_type = result.get("content_type") or "application/octet-stream"
    return stored_file(job.output_file, filename=filename, content_type=content_type)


# ------------------------------------------------------------------------------ health
def job_counts() -> dict[str, int]:
    """Jobs by status, every status present (for /metrics)."""
    from django.db.models import Count

    counts = dict(Job.objects.order_by().values_list("status").annotate(n=Count("id")))
    return {status: counts.get(status, 0) for status in JobStatus.values}


WORKERS_KEY = "jobs:workers"
WORKER_SEEN_WITHIN = 60  # seconds: a worker not heard from for longer is not counted


def worker_seen(hostname: str, *, gone: bool = False) -> None:
    """A worker's heartbeat (every 15 s, workshop.celery.Heartbeat), kept in the shared cache."""
    try:
        seen = cache.get(WORKERS_KEY) or {}
        now = time.time()
        seen = {name: at for name, at in seen.items() if now - at < WORKER_SEEN_WITHIN}
        if gone:
            seen.pop(hostname, None)
        else:
            seen[hostname] = now
        cache.set(WORKERS_KEY, seen, timeout=WORKER_SEEN_WITHIN * 2)
    except Exception as exc:  # a cache outage: health says so itself
        log.warning("jobs.heartbeat_failed", worker=hostname, error=type(exc).__name__)


def job_queue_state() -> dict:
    """For /health/status: the broker, the workers seen in the last minute, queued and running
    jobs and the oldest queued one's age; `problem` when jobs would not run."""
    from django.db.models import Count, Min

    from workshop.celery import app

    counts = dict(
        Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .values_list("status")
        .annotate(n=Count("id"))
    )
    oldest = Job.objects.filter(status=JobStatus.QUEUED).aggregate(at=Min("created_at"))["at"]
    state = {
        "queued": counts.get(JobStatus.QUEUED, 0),
        "running": counts.get(JobStatus.RUNNING, 0),
        "oldest_queued_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else None,
    }
    if app.conf.task_always_eager:
        return {"broker": "none (jobs run in the app's process)", **state}
    state["broker"] = app.conf.broker_url.split("://", 1)[0]
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {**state, "problem": f"the broker is unreachable ({type(exc).__name__})"}
    now = time.time()
    seen = cache.get(WORKERS_KEY) or {}
    state["workers"] = sum(1 for at in seen.values() if now - at < WORKER_SEEN_WITHIN)
    if not state["workers"]:
        state["problem"] = "no worker seen in the last minute: queued jobs will not run"
    return state
