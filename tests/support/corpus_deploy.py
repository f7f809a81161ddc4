"""Deploying the corpus's FC templates in tests and benchmarks: which templates, with what
parameter values, and what happened.

Parameter values: the default, else the first allowed value, else a plausible value for the
parameter's type, name and constraints.

Why plausible rather than random: the corpus's templates name zones, VPCs, passwords and buckets;
a value that looks like one (``cn-hangzhou-h``, ``vpc-lcl...``, a password meeting ROS's usual
rules, a lowercase name of the allowed length) lets the template deploy as it would for a user.
A parameter naming a CAS certificate gets the ID of a self-signed one uploaded to the local CAS.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fcbackend.asyncq.records import FINISHED
from rosengine.clients.fc3 import Fc3Client
from rosengine.clients.oss import OssClient
from rosengine.clients.ram import RamClient
from rosengine.engine import StackEngine, StackOptions
from rosengine.errors import TemplateErrors
from rosengine.patterns import compile_pattern
from rosengine.state.models import StackRecord
from rosengine.template import load_template
from tests.support.certificates import self_signed

_BY_NAME: tuple[tuple[str, str], ...] = (
    ("zoneid", "cn-hangzhou-h"),
    ("vswitchid", "vsw-lcl00000000000000"),
    ("vpcid", "vpc-lcl00000000000000"),
    ("securitygroupid", "sg-lcl00000000000000"),
    ("instancetype", "ecs.g6.large"),
    ("imageid", "centos_7_9_x64_20G_alibase_20230919.vhd"),
    ("password", "Rosengine1!Local"),
    ("region", "cn-hangzhou"),
    ("cidr", "192.168.0.0/16"),
    ("domain", "example.com"),
    ("email", "dev@example.com"),
    ("certificateid", "1234567"),
    ("accesskey", "LTAIlocal0000000000"),
)


def _fits(value: str, spec: Mapping[str, Any]) -> bool:
    low, high = spec.get("MinLength"), spec.get("MaxLength")
    if low is not None and len(value) < int(low):
        return False
    if high is not None and len(value) > int(high):
        return False
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str):
        try:
            return compile_pattern(pattern).fullmatch(value)
        except ValueError:
            return True
    return True


def _string(name: str, spec: Mapping[str, Any]) -> str:
    lowered = name.lower()
    hints = f"{lowered} {str(spec.get('AssociationProperty') or '').lower()}"
    candidates = [value for key, value in _BY_NAME if key in hints.replace("::", "").replace("_", "")]
    base = re.sub(r"[^a-z0-9]", "", lowered)[:20] or "value"
    candidates += [f"ros-{base}", f"ros{base}", base, "rostest1", "Rostest1", "a1", "1"]
    low = int(spec.get("MinLength") or 0)
    for candidate in candidates:
        padded = candidate + "x" * max(0, low - len(candidate))
        if _fits(padded, spec):
            return padded
    return candidates[0]


def plausible_value(name: str, spec: Mapping[str, Any]) -> Any:
    """A value for one parameter (None when its default serves)."""
    if spec.get("Default") is not None:
        return None
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and allowed:
        return allowed[0]
    kind = str(spec.get("Type") or "String")
    if kind == "Number":
        low = spec.get("MinValue")
        return str(low if low is not None else 1)
    if kind == "Boolean":
        return "true"
    if kind == "Json":
        return "{}"
    if kind == "CommaDelimitedList":
        return _string(name, spec)
    if kind.startswith("ALIYUN::"):
        return _string(kind, spec)
    return _string(name, spec)


CAS_CERTIFICATE = "ALIYUN::CAS::Certificate::CertificateId"


def plausible_parameters(
    template_data: Mapping[str, Any], *, certificate: Callable[[], str] | None = None
) -> dict[str, Any]:
    """Every parameter's value (those whose default serves left out). ``certificate`` gives the
    ID of a certificate in the local CAS, for parameters that name one (a user would pick one of
    theirs in the console)."""
    parameters = template_data.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in parameters.items():
        if not isinstance(spec, Mapping):
            continue
        if certificate is not None and spec.get("AssociationProperty") == CAS_CERTIFICATE:
            values[name] = certificate()
            continue
        value = plausible_value(name, spec)
        if value is not None:
            values[name] = value
    return values


def local_certificate(ram: RamClient, common_name: str = "*.example.com") -> str:
    """Upload a new self-signed certificate for ``common_name`` to the backend's CAS; its ID."""
    cert, key = self_signed(common_name)
    answer = ram.call(
        "UploadUserCertificate", "2020-04-07", Name=f"corpus-{secrets.token_hex(4)}", Cert=cert, Key=key
    )
    return str(answer["CertId"])


def fc_templates(root: Path) -> list[Path]:
    """The templates under ``root`` with an FC resource (``ALIYUN::FC::*`` or ``ALIYUN::FC3::*``,
    after any Transform), sorted."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".yml", ".yaml", ".json"):
            continue
        try:
            data = load_template(path.read_text(encoding="utf-8"), filename=str(path)).data
        except Exception:
            continue
        resources = data.get("Resources") if isinstance(data, dict) else None
        types = {str(r.get("Type", "")) for r in (resources or {}).values() if isinstance(r, dict)}
        if any(t.startswith(("ALIYUN::FC::", "ALIYUN::FC3::")) for t in types):
            found.append(path)
    return found


@dataclass
class Outcome:
    kind: str  # deploys | refused (before anything starts) | fails (created, then rolled back)
    message: str
    stack: StackRecord | None = None

    def matches(self, expected: str) -> bool:
        """``expected`` is ``deploys`` (other words after it are the reader's), or ``<kind>:``
        followed by texts in backquotes that the message contains, each (other words are the
        reader's)."""
        if expected.split(" ", 1)[0] == "deploys":
            return self.kind == "deploys"
        kind, _, rest = expected.partition(":")
        texts = re.findall(r"`([^`]+)`", rest)
        return self.kind == kind and bool(texts) and all(text in self.message for text in texts)


def deploy(
    engine: StackEngine,
    path: Path,
    name: str,
    *,
    placeholders: bool,
    certificate: Callable[[], str] | None = None,
) -> Outcome:
    text = path.read_text(encoding="utf-8")
    parameters = plausible_parameters(load_template(text, filename=str(path)).data, certificate=certificate)
    try:
        stack = engine.create_stack(
            name,
            text,
            filename=str(path),
            parameters=parameters,
            options=StackOptions(placeholders=placeholders, timeout_mins=5),
        )
    except TemplateErrors as exc:
        return Outcome("refused", "; ".join(str(e) for e in exc.errors))
    if stack.status == "CREATE_COMPLETE":
        return Outcome("deploys", stack.reason, stack)
    return Outcome("fails", stack.reason, stack)


def wait_for_async_work(engine: StackEngine, fc3: Fc3Client, name: str, timeout_s: float = 120.0) -> None:
    """Until no async invocation of the stack's functions is queued or running: what they write
    (an OSS trigger's function writes after the call that fired it returned) must be there before
    the buckets are emptied."""
    functions = [
        str(row.physical_id).replace("|", "$", 1)
        for row in engine.resources(name)
        if row.type == "ALIYUN::FC::Function" and row.physical_id and not row.placeholder
    ]
    deadline = time.monotonic() + timeout_s
    while True:
        busy = [
            f"{task.get('functionName')} {task.get('status')}"
            for function in functions
            for task in fc3.local("async-tasks", function=function, all="true", limit=100)["invocations"]
            if task.get("status") not in FINISHED
        ]
        if not busy:
            return
        assert time.monotonic() < deadline, f"async work still going after {timeout_s} s: {busy}"
        time.sleep(0.05)


def empty_buckets(engine: StackEngine, oss: OssClient, name: str) -> None:
    """Remove what the stack's functions wrote into its buckets, as a user must before deleting a
    stack whose bucket has no ``DeletionForce`` (ROS refuses to delete a bucket that is not empty)."""
    for row in engine.resources(name):
        if row.type != "ALIYUN::OSS::Bucket" or not row.physical_id or row.placeholder:
            continue
        bucket = str(row.physical_id)
        objects, _ = oss.list_objects(bucket)
        for summary in objects:
            oss.delete_object(bucket, summary.key)
