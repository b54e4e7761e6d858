# The article's workload (examples/workload.py), repeated until killed, so that a capture of
# any length (the 60 s memory run) samples the same code the whole time.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import workload  # noqa: E402

while True:
    workload.main()
