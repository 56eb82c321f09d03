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
