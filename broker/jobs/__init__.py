"""Background jobs: long work (allocation runs, what-ifs, directory feed pulls) off the web request.

A kind of job is a function in its domain's `jobs.py` (imported by `create_app`, so web
nodes and workers both know it):

    from broker.jobs import job_kind

    @job_kind("oruk-pull", title="Directory feed pull", roles=("admin",))
    def pull(ctx, feed_id: int) -> dict:
        ctx.progress(0, 3, "Downloading the feed")
        ...
        return {"imported": 12}  # JSON, kept as the job's result

Start one from a request, a command or another job with `enqueue("oruk-pull", user,
feed_id=3)`; it is dispatched when the transaction commits: to RQ (`broker worker`) when
BROKER_REDIS_URL is set, otherwise to a thread of this process. `/jobs/<id>` shows its
progress to whoever started it and to the kind's roles. The function runs in an app
context and its own transaction: it flushes and raises like any service; the runner
commits its writes together with status "done" and the result, or rolls them back and
keeps the error (a DomainError's message as it is, anything else as an unexpected
failure).

Due jobs (`broker run-due`, and every few minutes on `broker worker`) are registered
with `due_job`; see broker.jobs.due.
"""
from broker.jobs.due import due_job
from broker.jobs.kinds import JobContext, job_kind
from broker.jobs.queue import enqueue

__all__ = ["JobContext", "due_job", "enqueue", "job_kind"]
