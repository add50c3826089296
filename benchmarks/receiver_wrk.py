"""Driving `wrk` for `receiver_throughput.py`: a Lua script posting one fixed body with its
Authorization header, the result parsed, and the receiver's CPU time around a run."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# wrk prints this table at the end (done() runs once, after all threads); latencies are microseconds.
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %s
wrk.body = %s
done = function(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
            + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
                         latency:percentile(99), latency:percentile(50), bad))
end
"""


@dataclass
class Measured:
    requests: int
    seconds: float
    p99_ms: float
    p50_ms: float
    failed: int
    events_per_request: int
    cpu_seconds: float = 0.0  # the receiver process's CPU time (all threads) during the run

    @property
    def events_per_cpu_second(self) -> float:
        """What one core sustains, for sizing; unlike requests/s it hardly depends on what else runs."""
        return self.requests * self.events_per_request / self.cpu_seconds

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.requests_per_second * self.events_per_request


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def run_wrk(url: str, authorization: str, body: bytes, events: int, seconds: float, connections: int,
            scripts: Path) -> Measured:
    script = scripts / f"post_{events}.lua"
    script.write_text(LUA % (lua_string(authorization), lua_string(body.decode())))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next(row for row in output.splitlines() if row.startswith("RESULT "))
    requests, duration_us, p99_us, p50_us, failed = map(int, line.split()[1:])
    return Measured(requests, duration_us / 1e6, p99_us / 1000, p50_us / 1000, failed, events)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
