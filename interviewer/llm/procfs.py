"""What Linux says about a process (/proc): its state, and whether it is on its way out.

The supervisor (llm/local.py) must not send a request to a server that is dying, and must treat
one frozen by the scheduler (llm/scheduler.py, state 'T') as alive; tests read the same states.
"""

from __future__ import annotations

import signal
from pathlib import Path

# Linux task flag set as a process starts to exit (include/linux/sched.h), and SIGKILL's bit in the
# pending-signal masks of /proc/PID/status.
_PF_EXITING = 0x4
_SIGKILL_BIT = 1 << (signal.SIGKILL - 1)


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def process_state(pid: int) -> str | None:
    """The state letter of `pid` ('R', 'S', 'T' stopped, 'Z' zombie, ...), None when it is gone."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def parent_pid(pid: int) -> int | None:
    """The parent of `pid`, None when it is gone."""
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def process_ending(pid: int) -> bool:
    """True when `pid` is gone, a zombie, exiting, or has a SIGKILL pending (Linux /proc).

    A stopped process (state 'T': the evaluator's server frozen by llm/scheduler.py) is alive."""
    fields = _stat_fields(pid)
    if fields is None:
        return True
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    state, flags = fields[0], int(fields[6])
    if state in ("Z", "X") or flags & _PF_EXITING:
        return True
    for line in status.splitlines():
        if line.startswith(("SigPnd:", "ShdPnd:")) and int(line.split()[1], 16) & _SIGKILL_BIT:
            return True
    return False
