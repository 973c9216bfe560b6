"""A test that never ends: two threads take two locks in opposite orders."""
import threading
import time

lock_a = threading.Lock()
lock_b = threading.Lock()


def transfer(first, second, ready):
    with first:
        ready.wait()
        with second:
            pass


def test_deadlock():
    ready = threading.Barrier(2)
    # Daemon threads, so that a session that only fails the test (no xdist)
    # can still exit afterwards.
    workers = [threading.Thread(target=transfer, args=(lock_a, lock_b, ready), name="worker-A", daemon=True),
               threading.Thread(target=transfer, args=(lock_b, lock_a, ready), name="worker-B", daemon=True)]
    for worker in workers:
        worker.start()
    for worker in workers:
        while worker.is_alive():
            worker.join(0.5)
            time.sleep(0.01)
