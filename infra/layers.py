"""Powertools from AWS's own Lambda layer, the version requirements-dev.txt pins, for every
function: not in the deployment zip (it would be most of it: docs/dependencies.md).

The layer's ARN differs by region (and its version number by release), so no ARN is
written down here: AWS publishes each release's ARN, per region, as a public SSM parameter,
``/aws/service/powertools/python/<architecture>/<python>/<version>``. SAM resolves it as a
parameter of type ``AWS::SSM::Parameter::Value<String>`` (a deployer may override it with an
ARN), Terraform with ``data.aws_ssm_parameter``, and ``make resources`` with ``GetParameter``
for `chalice deploy` (written into the deploy copy's ``.chalice/config.json``, per stage).
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = "x86_64"   # Chalice's, for every function
SAM_PARAMETER = "PowertoolsLayerArn"
TF_DATA = "powertools_layer"


def powertools_version(requirements: Path = ROOT / "requirements-dev.txt") -> str:
    """The version requirements-dev.txt pins (the one the tests run, and the layer's)."""
    match = re.search(r"^aws-lambda-powertools==([0-9][0-9.]*)\s*$", requirements.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{requirements} pins no aws-lambda-powertools==<version>")
    return match.group(1)


def python_runtime() -> str:
    """``python3.11``: Chalice packages for the interpreter that runs it."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def layer_parameter(version: str | None = None) -> str:
    """The public SSM parameter whose value is the layer's ARN in the region asked."""
    return f"/aws/service/powertools/python/{ARCHITECTURE}/{python_runtime()}/{version or powertools_version()}"


def sam_parameter() -> dict:
    return {SAM_PARAMETER: {
        "Type": "AWS::SSM::Parameter::Value<String>", "Default": layer_parameter(),
        "Description": "Powertools' Lambda layer: the SSM parameter AWS publishes its ARN in, for this region "
                       "and the version requirements-dev.txt pins (or an SSM parameter of your own)."}}


def sam_layers() -> list:
    return [{"Ref": SAM_PARAMETER}]


def tf_data() -> dict:
    return {"aws_ssm_parameter": {TF_DATA: {"name": layer_parameter()}}}


def tf_layers() -> list:
    return [f"${{data.aws_ssm_parameter.{TF_DATA}.value}}"]


def resolve(ssm_client) -> str:
    """The layer's ARN in ``ssm_client``'s region (for `chalice deploy`)."""
    return ssm_client.get_parameter(Name=layer_parameter())["Parameter"]["Value"]
