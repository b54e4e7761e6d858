# A long-running service for the agent's soak: the article workload's functions in short
# bursts between sleeps (a few % of a core), so ten of them leave a 2-core machine usable
# while the agent samples each at 100 Hz for ten minutes.
import hashlib
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from workload import hot_cpu  # noqa: E402


def hot_hash_small(buf):
    h = hashlib.sha256()
    for _ in range(20):
        h.update(buf)
    return h.hexdigest()


def serve_request(buf):
    hot_cpu(500)
    hot_hash_small(buf)


def main():
    parent = os.getppid()
    buf = random.randbytes(4096)
    print("ready", flush=True)
    while os.getppid() == parent:  # Orphaned (the bench died): stop.
        serve_request(buf)
        time.sleep(0.02)


if __name__ == "__main__":
    main()
