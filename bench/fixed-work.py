# A fixed amount of the article's workload (its CPU-bound part: hot_cpu + hot_hash), timed by
# the target itself, to measure how much a sampler slows the process it samples. It prints
# "ready", waits for a line on stdin (the sampler attaches in between), runs, prints its wall and CPU time.
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
from workload import hot_cpu, hot_hash  # noqa: E402

iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 150
random.seed(0)
buf = random.randbytes(4096)
print("ready", flush=True)
sys.stdin.readline()
started = time.perf_counter()
started_cpu = time.process_time()
for _ in range(iterations):
    hot_cpu(20_000)
    hot_hash(buf)
print(f"work {time.perf_counter() - started:.6f} cpu {time.process_time() - started_cpu:.6f}", flush=True)
