"""Started by Python itself in every process the tests start while ``REPAIROPS_TEST_CLOCK`` pins the clock (this
folder is put on their PYTHONPATH by ``tests/clock.py``): the process's clock runs by the same offset as the
tests' own, so the UI server, the command line and dbt see the same pinned hour."""

import os

_offset = os.environ.get("REPAIROPS_TEST_CLOCK_OFFSET")
if _offset:
    import time

    import time_machine

    time_machine.travel(time.time() + int(_offset), tick=True).start()
