"""Real components the tests start on loopback: a free port, an SMTP server, the test database's URL
for a Celery worker started in a subprocess."""

import socket
from contextlib import contextmanager
from pathlib import Path

from aiosmtpd.controller import Controller
from django.db import connection


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler):
    """An aiosmtpd server on 127.0.0.1 that hands each message to `handler`; yields its port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def database_url() -> str:
    """The URL of the database the tests run on, for a worker process that must see the same rows."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{Path(db['NAME']).resolve()}"
