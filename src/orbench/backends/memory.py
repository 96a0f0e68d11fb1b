"""Process memory measurements (Linux /proc; elsewhere the numbers are simply missing)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark for this process, so the next reading is per model."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float | None:
    """Peak resident memory since the last reset (VmHWM), else since the process started."""
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS, kilobytes elsewhere
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)
