"""The benchmark's memory column (scripts/bench_match.py) counts what a process tree holds: a
page that a forked worker shares with its parent once, not in each."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from scripts.bench_match import _tree_memory_mib

# allocates and touches 200 MiB, forks a child that keeps sharing it, and waits
_TREE = """
import os, sys, time
block = bytearray(200 << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
if os.fork() == 0:
    time.sleep(60)
    os._exit(0)
print("ready", flush=True)
time.sleep(60)
"""


def _resident_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children, each counted in full."""
    from pathlib import Path

    pids = [pid] + [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    kb = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                kb += int(line.split()[1])
    return kb / 1024


def test_a_forked_worker_s_shared_pages_count_once_in_the_tree_s_memory() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _TREE], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        # (the child is forked before the parent prints)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        resident = _resident_mib(proc.pid)
        held = _tree_memory_mib(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the parent and its forked child
        proc.wait()
    assert resident > 400  # both processes show the 200 MiB block as resident
    assert 200 < held < 300  # it is held once
