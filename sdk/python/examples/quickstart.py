"""JobQueue from Python in one page: enqueue jobs, run a job type of your own on a worker, read the results.

    JOBQUEUE_URL=http://localhost:8080 JOBQUEUE_API_KEY=qly_... python3 examples/quickstart.py

Without JOBQUEUE_API_KEY it registers a throw-away account first (the key it prints works from then on).
"""

import os
import threading
import time
import uuid

from jobqueue import JobQueueClient, NonRetryableError, Worker

url = os.environ.get("JOBQUEUE_URL", "http://localhost:8080")
api_key = os.environ.get("JOBQUEUE_API_KEY")
if not api_key:
    with JobQueueClient(url, max_retries=30) as anonymous:  # /auth/* allows 1 request/s per address: wait it out
        account = anonymous.register(f"quickstart-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery")
    api_key = account.api_key.key
    print(f"registered {account.user.email}, key {api_key}")


def wait_until_ended(client, job_id):
    while (job := client.get_job(job_id)).status not in ("completed", "dead", "cancelled"):
        time.sleep(0.2)
    return job


with JobQueueClient(url, api_key=api_key) as client:
    print("health:", client.health().status)

    # A built-in handler: echo's result is its payload.
    echo = client.enqueue("echo", {"to": "ada@example.com"}, priority=8, tags={"example": "quickstart"})
    print("echo:", wait_until_ended(client, echo.id).status, client.get_job_result(echo.id))

    # A job type of your own, run by this process on the lease protocol.
    worker = Worker(client, concurrency=2, wait_seconds=2)

    @worker.handler("quickstart.greet")
    def greet(job, context):
        if "name" not in job.payload:
            raise NonRetryableError("payload needs a name")  # no retry: straight to the dead-letter queue
        context.heartbeat(progress={"step": "greeting"})
        return {"greeting": f"Hello, {job.payload['name']}!"}

    running = threading.Thread(target=worker.run)
    running.start()
    greeting = client.enqueue("quickstart.greet", {"name": "Ada"})
    nameless = client.enqueue("quickstart.greet", {})
    print("greet:", wait_until_ended(client, greeting.id).status, client.get_job_result(greeting.id))
    print("nameless:", wait_until_ended(client, nameless.id).status, client.get_job(nameless.id).error_message)
    worker.stop()  # graceful: running handlers finish first
    running.join()

    print("jobs:", [job.type for job in client.iter_jobs(tags={"example": "quickstart"})])
    stats = client.get_stats()
    print(f"stats: {stats.completed} completed, {stats.dead} dead")
