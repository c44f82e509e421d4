"""`make run` (tools.run_local) as a child process, for whatever drives it from outside:
`make load` and the tests that meet the service as a user does.

Its output goes to a log file that :meth:`MakeRun.output` reads back; :meth:`MakeRun.stop`
sends Ctrl-C (which stops DynamoDB Local too) and kills it only if that is not enough.
"""
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = "Ctrl-C stops everything"   # the last line of run_local's banner


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MakeRun:
    def __init__(self, log_path: Path, env: dict, ready_timeout: float = 90):
        self.log = open(log_path, "w+")
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed argv
            [sys.executable, "-m", "tools.run_local"], cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env}, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self.wait_for(READY, ready_timeout)
        except RuntimeError:
            self.stop()
            raise

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_for(self, text: str, timeout: float = 90) -> None:
        """Until the output shows ``text``; RuntimeError (with the output) if it exits or time runs out."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"make run did not print {text!r}:\n{self.output()}")
            time.sleep(0.2)

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.log.closed:
            self.log.close()
