"""gunicorn settings for PLO Tracker (docs/operations.md "What runs").

    gunicorn plo_tracker.wsgi --config python:plo_tracker.gunicorn_conf --bind 0.0.0.0:8000 \
        --workers 4 --threads 4 --timeout 30

The access log records the time, method, path (never the query string), status, size and duration;
the logger class withholds query strings and calendar tokens from both logs whatever format is set
(plo_tracker/gunicorn_logging.py). The worker timeout is explicit: no request of the service runs
longer than a few seconds (long imports and exports are Celery jobs), so 30 s only ever stops a
stuck worker.
"""

accesslog = "-"
errorlog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
logger_class = "plo_tracker.gunicorn_logging.Logger"
timeout = 30
graceful_timeout = 30

# Prometheus metrics from several workers (plo_tracker/metrics.py): each worker writes its request
# figures into PROMETHEUS_MULTIPROC_DIR and /metrics adds them up. Set here, in the master before
# any worker starts, so every worker of this gunicorn shares one folder; it is emptied when gunicorn
# starts (figures of an earlier run would otherwise be added in) and a dead worker's gauges dropped.
import os  # noqa: E402
import tempfile  # noqa: E402
from typing import Any  # noqa: E402

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="plo-prometheus-")


def on_starting(server: object) -> None:
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def child_exit(server: object, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
