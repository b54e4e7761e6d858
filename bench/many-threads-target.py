# N live threads (default 1,000), each parked in idle_worker, and the main thread sleeping:
# what `-a` must walk on every sample of the threads bench.
import sys
import threading
import time

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
stop = threading.Event()


def idle_worker():
    stop.wait()


for _ in range(count):
    threading.Thread(target=idle_worker, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(1)
