"""gunicorn settings for one Kindred worker process (scripts/stack.sh and the systemd units in
docs/deployment.md start several, each on its own port, behind HAProxy with sticky sessions).

Why one worker per gunicorn: Socket.IO's long-polling transport needs every request of a session
to reach the same process, and gunicorn's own balancing between its workers is not sticky, so
the proxy does the balancing (Flask-SocketIO's deployment notes say the same). Redis carries
emits between the processes."""

import os

worker_class = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
workers = 1
bind = os.environ.get("KINDRED_BIND", "127.0.0.1:8001")
# Privacy: no access log (it would hold addresses and the paths people read); errors only.
accesslog = None
errorlog = "-"
loglevel = "warning"
timeout = 60
graceful_timeout = 20
keepalive = 5
# A Flask-SocketIO app must be imported after gevent's monkey-patching: no preload.
preload_app = False
proc_name = "kindred-" + bind.rsplit(":", 1)[-1]


def post_worker_init(worker):
    """Start this worker's background loop (heartbeat; locked jobs) once the app is loaded."""
    from app.services import jobs

    jobs.start(worker.wsgi)
