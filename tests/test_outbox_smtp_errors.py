"""Which SMTP failures are retried: a real SMTP client (Django's SMTP backend) against a scripted server on
loopback. A broken TLS handshake and a connection reset are transient; a refused login or recipient is
permanent, unless the server says "try again later" (4xx)."""

import socket
import struct
import threading

import pytest
from django.test import override_settings

from notifications.delivery import TransientDeliveryError, outbox_send
from notifications.models import OutboxMessage
from notifications.services import notification_queue

pytestmark = pytest.mark.django_db

EHLO_TLS = "250-fake.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"
EHLO = "250-fake.example\r\n250 AUTH PLAIN LOGIN\r\n"


class ScriptedSMTP:
    """One connection at a time; `script(conn, reader)` plays the server side of one conversation."""

    def __init__(self, script):
        self.script = script
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _address = self.listener.accept()
        except OSError:
            return
        conn.settimeout(10)
        self.conn = conn
        with conn:
            try:
                self.script(conn, conn.makefile("rb"))
            except OSError:
                pass

    def close(self):
        """Ends the conversation the client left hanging (a failed client does not say QUIT)."""
        self.listener.close()
        conn = getattr(self, "conn", None)
        if conn is not None:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(timeout=10)


def say(conn, text):
    conn.sendall(text.encode())


def dialogue(replies: dict[str, str], *, ehlo: str = EHLO):
    """A plain SMTP conversation: the greeting, then each command's verb answered from `replies`
    (the usual 250/354 otherwise)."""

    def script(conn, reader):
        say(conn, "220 fake.example ESMTP\r\n")
        while line := reader.readline():
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper().decode()
            if verb in replies:
                say(conn, replies[verb])
                continue
            if verb in ("EHLO", "HELO"):
                say(conn, ehlo)
            elif verb == "DATA":
                say(conn, "354 go ahead\r\n")
                while reader.readline() not in (b".\r\n", b""):
                    pass
                say(conn, "250 queued\r\n")
            elif verb == "AUTH":
                say(conn, "235 2.7.0 Authentication successful\r\n")
            elif verb == "QUIT":
                say(conn, "221 bye\r\n")
                return
            else:
                say(conn, "250 ok\r\n")

    return script


def starttls_then(after):
    """Offers STARTTLS, accepts it, then `after(conn)` instead of a TLS handshake."""

    def script(conn, reader):
        say(conn, "220 fake.example ESMTP\r\n")
        reader.readline()  # EHLO
        say(conn, EHLO_TLS)
        reader.readline()  # STARTTLS
        say(conn, "220 ready to start TLS\r\n")
        after(conn)

    return script


def not_tls(conn):
    conn.sendall(b"this is no TLS record\r\n" * 20)
    while conn.recv(4096):  # until the client gives up
        pass


def reset(conn):
    conn.recv(4096)  # the client's hello
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST


@pytest.fixture
def row(draft, case_officer):
    return notification_queue(user=case_officer, kind="submitted_staff", application=draft, link="/uppgifter/")


def deliver_through(script, row, *, tls=False, login=False):
    server = ScriptedSMTP(script)
    smtp = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": server.port, "EMAIL_USE_TLS": tls, "EMAIL_USE_SSL": False, "EMAIL_TIMEOUT": 5,
            "EMAIL_HOST_USER": "potten" if login else "", "EMAIL_HOST_PASSWORD": "secret" if login else ""}
    try:
        with override_settings(**smtp):
            try:
                return outbox_send(row.pk)
            except TransientDeliveryError:
                return "retry"
    finally:
        server.close()


@pytest.mark.parametrize("script, tls, login, error", [
    (starttls_then(not_tls), True, False, "SSLError"),
    (starttls_then(reset), True, False, "ConnectionResetError"),
    (dialogue({"AUTH": "454 4.7.0 Temporary authentication failure\r\n"}), False, True, "454"),
    (dialogue({"RCPT": "450 4.2.1 Mailbox busy, try later\r\n"}), False, False, "450"),
], ids=["tls-handshake-garbage", "connection-reset", "auth-temporary", "recipient-busy"])
def test_a_transient_smtp_failure_is_retried(row, script, tls, login, error):
    # when: the server fails in a way that may pass
    outcome = deliver_through(script, row, tls=tls, login=login)

    # then: the row waits for another attempt, with the error recorded
    row.refresh_from_db()
    assert (outcome, row.status, row.attempts) == ("retry", "pending", 1)
    assert error in row.last_error
    assert row.next_attempt_at is not None


@pytest.mark.parametrize("script, login, error", [
    (dialogue({"AUTH": "535 5.7.8 Authentication credentials invalid\r\n"}), True, "SMTPAuthenticationError"),
    (dialogue({"RCPT": "550 5.1.1 No such user\r\n"}), False, "SMTPRecipientsRefused"),
    (dialogue({"MAIL": "553 5.1.8 Sender address rejected\r\n"}), False, "SMTPSenderRefused"),
], ids=["auth-refused", "recipient-refused", "sender-refused"])
def test_a_refused_login_or_address_fails_at_once(row, script, login, error):
    outcome = deliver_through(script, row, login=login)

    row.refresh_from_db()
    assert (outcome, row.status, row.attempts, row.next_attempt_at) == ("failed", "failed", 1, None)
    assert row.last_error.startswith(error)


def test_the_scripted_server_delivers_when_nothing_fails(row):
    assert deliver_through(dialogue({}), row, login=True) == "sent"
    assert OutboxMessage.objects.get(pk=row.pk).status == "sent"
