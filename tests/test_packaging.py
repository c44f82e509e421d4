"""What `chalice package` ships: the code, the templates, the IAM policy; nothing else."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("package") / "out"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    chalice = Path(sys.executable).parent / "chalice"
    result = subprocess.run([str(chalice), "package", "--stage", "prod", str(out)], cwd=ROOT, env=env,  # noqa: S603 - the venv's chalice, fixed argv
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_templates_reach_the_deployment_zip(package):
    names = zipfile.ZipFile(package / "deployment.zip").namelist()
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.html"))
    assert templates and all(f"templates/{name}" in names for name in templates)
    assert "app.py" in names and "chalicelib/storage.py" in names
    assert not [n for n in names if n.startswith(("tests/", "tools/", "campaigns/", "boto3/", "moto/"))]
    size = (package / "deployment.zip").stat().st_size
    print(f"deployment.zip: {size / 1024:.0f} KiB, {len(names)} files")


def test_packaged_functions_use_the_hand_written_policy(package):
    template = json.loads((package / "sam.json").read_text())
    policy = json.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert roles and all(
        role["Properties"]["Policies"][0]["PolicyDocument"] == policy for role in roles)
    schedule = [r for r in template["Resources"].values()
                if r["Type"] == "AWS::Serverless::Function"
                and any(e.get("Type") == "Schedule" for e in r["Properties"].get("Events", {}).values())]
    assert len(schedule) == 1
    assert schedule[0]["Properties"]["Environment"]["Variables"]["TABLE_NAME"] == "action-tally-prod"


def test_importing_the_app_touches_no_aws_and_reads_no_settings():
    code = ("import app; from chalicelib import runtime; "
            "assert runtime._STORE is None and runtime._SETTINGS is None; print('lazy')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own snippet
    assert result.returncode == 0 and "lazy" in result.stdout, result.stderr
