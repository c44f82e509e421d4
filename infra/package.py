"""`make package`: deployable SAM and Terraform output for each stage, under ``out/``.

    out/sam-<stage>/sam.json + deployment.zip      sam deploy --template-file out/sam-<stage>/sam.json ...
    out/tf-<stage>/*.tf.json + deployment.zip      cd out/tf-<stage> && terraform init && terraform apply

Chalice writes its functions, API, schedule and roles; :mod:`infra.stack` adds the rest.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from infra.stack import ROOT, STAGES, chalice_functions, sam_merge_template, terraform_overrides, terraform_resources

CHALICE = Path(sys.executable).parent / "chalice"


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def _chalice_package(*args: str) -> None:
    # Chalice wants a region even though neither template names one.
    env = {"AWS_DEFAULT_REGION": "us-east-1", **os.environ}
    subprocess.run([str(CHALICE), "package", *args], cwd=ROOT, env=env, check=True)  # noqa: S603 - the venv's chalice


def package_stage(stage: str, out: Path, keep_arrival_index: bool = False) -> dict:
    """Package ``stage`` into ``out``; returns the directories written. ``keep_arrival_index``:
    for a stack made before the stream fold (docs/deploy.md, "Upgrading")."""
    functions = chalice_functions()
    merge_template = out / f"sam-resources-{stage}.json"
    _write_json(merge_template, sam_merge_template(stage, functions, keep_arrival_index))
    sam_dir, tf_dir = out / f"sam-{stage}", out / f"tf-{stage}"
    _chalice_package("--stage", stage, "--merge-template", str(merge_template.resolve()), str(sam_dir))
    _chalice_package("--pkg-format", "terraform", "--stage", stage, str(tf_dir))
    chalice_tf = json.loads((tf_dir / "chalice.tf.json").read_text())
    _write_json(tf_dir / "action-tally.tf.json", terraform_resources(stage, functions, keep_arrival_index))
    _write_json(tf_dir / "chalice_override.tf.json", terraform_overrides(stage, chalice_tf))
    return {"sam": sam_dir, "terraform": tf_dir}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", default=list(STAGES), choices=STAGES)
    parser.add_argument("--out", type=Path, default=ROOT / "out")
    parser.add_argument("--keep-arrival-index", action="store_true",
                        help="keep the arrival LSI of a table made before the stream fold in the templates "
                             "(dropping it would replace the table; docs/deploy.md, \"Upgrading\")")
    args = parser.parse_args(argv)
    for stage in args.stages:
        written = package_stage(stage, args.out, args.keep_arrival_index)
        print(f"{stage}: SAM in {written['sam']}, Terraform in {written['terraform']}")


if __name__ == "__main__":
    main()
