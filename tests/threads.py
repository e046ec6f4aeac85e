"""Run work in threads released at the same instant, for the race tests on PostgreSQL."""

import threading

from django.db import connections


def run_together(n, work):
    """Start n threads at once, each calling work(i); return their results (or the exceptions they raised)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 -- collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
