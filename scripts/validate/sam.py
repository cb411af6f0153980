#!/usr/bin/env python3
"""SAM template check, per TEMPLATE:
  1. cfn-lint (CloudFormation + SAM schemas). Fails on errors (exit-code bit 2, or a crash);
     warnings (bit 4) and informational findings (bit 8) are printed but do not fail.
     Note: cfn-lint does not look at the ASL of an AWS::Serverless::StateMachine: check the
     definition file with asl.js as well.
  2. The real SAM transform, offline: samtranslator's Translator(...).translate(...) with
     AWS_DEFAULT_REGION=us-east-1 and a stubbed managed-policy loader (the bundled map of AWS
     managed policies is used; a name that is neither in it nor an ARN is reported). A local
     DefinitionUri / CodeUri / ContentUri must name an existing file or folder, and is rewritten to
     an s3:// URI before translating, as `sam package` would.

usage: sam.py [--verbose] TEMPLATE...
  --verbose  on success, print the CloudFormation resource types the transform produced.
Prints `FILE: message` per problem; exit 0 all valid, 1 any invalid, 2 usage/unreadable.
Run it through scripts/validate/run (the venv interpreter)."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
# The transform must not reach AWS: no credentials, no profile files.
for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(var, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

# Properties that `sam package` uploads, by resource type.
PACKAGED = {
    "AWS::Serverless::StateMachine": ["DefinitionUri"],
    "AWS::Serverless::Function": ["CodeUri"],
    "AWS::Serverless::LayerVersion": ["ContentUri"],
    "AWS::Serverless::Api": ["DefinitionUri"],
    "AWS::Serverless::HttpApi": ["DefinitionUri"],
}


def cfn_lint(path):
    """Returns (failed, lines)."""
    exe = Path(sys.executable).parent / "cfn-lint"
    proc = subprocess.run(
        [str(exe), "--format", "parseable", "--", str(path)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    lines = [f"cfn-lint: {ln}" for ln in proc.stdout.splitlines() if ln.strip()]
    rc = proc.returncode
    failed = bool(rc & 2) or bool(rc & 1) or rc >= 16 or rc < 0
    if failed and not lines:
        err = proc.stderr.strip().splitlines()
        lines = [f"cfn-lint: exit {rc}: {err[-1] if err else 'no output'}"]
    return failed, lines


def package_local_uris(template, base_dir):
    """Rewrite local artifact paths to s3:// URIs like `sam package`; returns problems."""
    probs = []
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return probs
    for logical_id, res in resources.items():
        if not isinstance(res, dict):
            continue
        props = res.get("Properties")
        if not isinstance(props, dict):
            continue
        for prop in PACKAGED.get(res.get("Type"), []):
            uri = props.get(prop)
            if not isinstance(uri, str) or uri.startswith("s3://"):
                continue
            local = (base_dir / uri).resolve()
            if not local.exists():
                probs.append(f"{logical_id}.{prop}: local path {uri!r} does not exist (relative to the template)")
                continue
            props[prop] = f"s3://sam-package-bucket/{logical_id}/{local.name}"
    return probs


class _MissingPolicies:
    """Stub for the managed-policy loader: no IAM call; records names it was asked for."""

    def __init__(self):
        self.asked = []

    def get(self, name, default=None):
        self.asked.append(name)
        return default


def sam_translate(path):
    """Returns (problems, translated_template_or_None)."""
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    try:
        template = yaml_parse(path.read_text(encoding="utf-8"))  # YAML or JSON, short-form intrinsics
    except Exception as e:  # noqa: BLE001 - any parse failure is a problem with the file
        return [f"sam: cannot parse template: {e}"], None
    if not isinstance(template, dict):
        return ["sam: template is not a mapping"], None
    probs = package_local_uris(template, path.parent)
    if probs:
        return [f"sam: {p}" for p in probs], None

    missing = _MissingPolicies()
    translator = Translator(managed_policy_map=None, sam_parser=Parser())
    try:
        out = translator.translate(template, parameter_values={}, get_managed_policy_map=lambda: missing)
    except InvalidDocumentException as e:
        return [f"sam: {c.message}" for c in e.causes] or [f"sam: {e.message}"], None
    except Exception as e:  # noqa: BLE001
        return [f"sam: transform failed: {type(e).__name__}: {e}"], None
    probs = [f"sam: unknown managed policy {n!r} (not an AWS managed policy name nor an ARN)" for n in missing.asked]
    return probs, out


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    verbose = False
    files = []
    for a in args:
        if a in ("-v", "--verbose"):
            verbose = True
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            files.append(a)
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    status = 0
    for f in files:
        path = Path(f)
        if not path.is_file():
            print(f"{f}: cannot read: no such file", file=sys.stderr)
            status = 2
            continue
        failed, lines = cfn_lint(path)
        for ln in lines:
            print(f"{f}: {ln}")
        probs, out = sam_translate(path)
        for p in probs:
            print(f"{f}: {p}")
        if failed or probs:
            status = max(status, 1)
        elif verbose:
            types = Counter(r.get("Type") for r in out.get("Resources", {}).values())
            print(f"{f}: ok: " + ", ".join(f"{t} x{n}" for t, n in sorted(types.items())))
    return status


if __name__ == "__main__":
    sys.exit(main())
