"""tools/system-packages.sh: what `make run` and `make test` install from apt-get, and when."""
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "system-packages.sh"


def run_with(tmp_path, mode, present, uid="1000", sudo_ok=False):
    """The script with a PATH holding only stubs: ``present`` commands, ``id``, ``sudo``, ``apt-get``."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    calls = tmp_path / "calls"

    def stub(name, body):
        (stubs / name).write_text(f"#!/bin/sh\n{body}\n")
        (stubs / name).chmod(0o755)

    for name in present:
        stub(name, "exit 0")
    stub("id", f"echo {uid}")
    stub("sudo", f'[ "$1" = -n ] && shift; {"" if sudo_ok else "exit 1;"} echo "sudo $*" >> {calls}; "$@"')
    stub("apt-get", f'echo "apt-get $*" >> {calls}')
    result = subprocess.run(["/bin/bash", str(SCRIPT), mode], capture_output=True, text=True,  # noqa: S603
                            env={"PATH": str(stubs)}, timeout=30)
    return result, calls.read_text() if calls.exists() else ""


def test_nothing_is_installed_when_everything_is_there(tmp_path):
    # chromium is looked for at Debian's path, where `make test` has put it before pytest starts.
    result, calls = run_with(tmp_path, "test", ["java", "npm"], uid="0")
    assert result.returncode == 0 and calls == "", result.stderr


def test_run_does_not_need_a_browser(tmp_path):
    result, calls = run_with(tmp_path, "run", ["java", "npm"])
    assert result.returncode == 0 and calls == ""


def test_a_missing_package_is_installed_as_root(tmp_path):
    result, calls = run_with(tmp_path, "run", ["npm"], uid="0")
    assert result.returncode == 0, result.stderr
    assert calls.splitlines() == ["apt-get update -qq", "apt-get install -y -qq openjdk-17-jre-headless"]


def test_without_root_or_sudo_it_says_what_to_install(tmp_path):
    result, calls = run_with(tmp_path, "run", ["java"])
    assert result.returncode == 1 and calls == ""
    assert "Missing: npm" in result.stderr and "apt-get install npm" in result.stderr
