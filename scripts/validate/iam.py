#!/usr/bin/env python3
"""IAM policy check, per SAM TEMPLATE: the template goes through the real SAM transform (as
sam.py does), every policy document of the resulting CloudFormation (the inline policies of
each AWS::IAM::Role, AWS::IAM::Policy and ManagedPolicy, and each SNS topic policy) has its
intrinsic functions resolved with the parameters' defaults (account 123456789012, us-east-1,
partition aws), and parliament audits it. Any finding above LOW fails the template.

usage: iam.py [--community] [--print-policies] TEMPLATE...
  --community       also run parliament's community auditors
  --print-policies  print the resolved policy documents instead of auditing them, one JSON
                    object per template and line:
                    {"file": ..., "policies": {"<Resource>.<PolicyName>": document, ...}}
Prints `FILE: SEVERITY ISSUE (policy) detail` per finding; exit 0 none above LOW, 1 otherwise,
2 usage/unreadable. Run it through scripts/validate/run (the venv interpreter)."""

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sam import sam_translate  # noqa: E402  (sets the offline AWS environment on import)

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"
FAILING = {"MEDIUM", "HIGH", "CRITICAL"}

# Findings parliament 1.6.4 makes in error, each with why; printed as ignored, never counted.
# states:DescribeExecution takes an `execution` OR an `express` ARN, but parliament wants
# every resource type the action lists: it flags the Distributed Map grant AWS documents
# (`execution:<machine>/*`) for lacking an `express` one.
KNOWN_FALSE = [
    ("RESOURCE_MISMATCH", "states:DescribeExecution", "arn:*:states:*:*:express:*:*:*"),
]


def known_false(issue, detail):
    if not isinstance(detail, list) or not detail:
        return False
    return all(
        isinstance(d, dict)
        and (issue, d.get("action"), d.get("required_format")) in KNOWN_FALSE
        for d in detail
    )


class Unresolved(Exception):
    pass


def resource_arn(logical_id, resource):
    """What `Ref` (or `GetAtt .Arn`) gives for a resource of this template."""
    kind = resource.get("Type", "")
    props = resource.get("Properties") or {}
    base = f"arn:{PARTITION}"
    if kind == "AWS::SNS::Topic":
        return f"{base}:sns:{REGION}:{ACCOUNT}:{logical_id}"
    if kind == "AWS::StepFunctions::StateMachine":
        return f"{base}:states:{REGION}:{ACCOUNT}:stateMachine:{logical_id}"
    if kind == "AWS::Events::Rule":
        return f"{base}:events:{REGION}:{ACCOUNT}:rule/{logical_id}"
    if kind == "AWS::Logs::LogGroup":
        return f"{base}:logs:{REGION}:{ACCOUNT}:log-group:{logical_id}:*"
    if kind == "AWS::IAM::Role":
        return f"{base}:iam::{ACCOUNT}:role/{logical_id}"
    return f"{base}:unknown:{REGION}:{ACCOUNT}:{logical_id}"


class Resolver:
    def __init__(self, template):
        self.params = {
            name: str(p.get("Default", ""))
            for name, p in (template.get("Parameters") or {}).items()
        }
        self.resources = template.get("Resources") or {}
        self.pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "kpi-stack",
        }

    def ref(self, name):
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.resources:
            return resource_arn(name, self.resources[name])
        raise Unresolved(f"Ref {name}")

    def sub(self, text, extra):
        def one(m):
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in extra:
                return self.value(extra[name])
            if "." in name:
                return self.get_att(name.split(".", 1))
            return self.ref(name)

        return re.sub(r"\$\{([^}]*)\}", one, text)

    def get_att(self, parts):
        logical, attr = parts
        if logical in self.resources and attr == "Arn":
            return resource_arn(logical, self.resources[logical])
        raise Unresolved(f"GetAtt {logical}.{attr}")

    def value(self, node):
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self.sub(arg[0], arg[1])
                return self.sub(arg, {})
            if key == "Fn::GetAtt":
                return self.get_att(arg if isinstance(arg, list) else arg.split(".", 1))
            if key == "Fn::Select":
                return self.value(arg[1])[int(self.value(arg[0]))]
            if key == "Fn::Split":
                return self.value(arg[1]).split(arg[0])
            if key == "Fn::Join":
                return arg[0].join(self.value(arg[1]))
            if key.startswith("Fn::") or key == "Condition":
                raise Unresolved(key)
        return {k: self.value(v) for k, v in node.items()}


def policy_documents(cfn):
    """(name, document) of every policy the translated template creates."""
    out = []
    for logical, res in (cfn.get("Resources") or {}).items():
        kind, props = res.get("Type"), res.get("Properties") or {}
        if kind == "AWS::IAM::Role":
            for p in props.get("Policies") or []:
                out.append((f"{logical}.{p.get('PolicyName')}", p.get("PolicyDocument")))
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            out.append((f"{logical}.{props.get('PolicyName', 'policy')}", props.get("PolicyDocument")))
        elif kind in ("AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy", "AWS::S3::BucketPolicy"):
            out.append((logical, props.get("PolicyDocument")))
    return out


def audit(name, document, community):
    import parliament

    policy = parliament.analyze_policy_string(
        json.dumps(document), name, include_community_auditors=community
    )
    findings = []
    for f in policy.findings:
        f = parliament.enhance_finding(f)
        findings.append((f.severity, f.issue, f.detail, f.location))
    return findings


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    community = "--community" in args
    show = "--print-policies" in args
    files = [a for a in args if not a.startswith("-")]
    if not files or len(files) + community + show != len(args):
        print(__doc__, file=sys.stderr)
        return 2
    if community:
        import parliament

        parliament.override_config(
            str(Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml")
        )
    status = 0
    for f in files:
        path = Path(f)
        if not path.is_file():
            print(f"{f}: cannot read: no such file", file=sys.stderr)
            status = 2
            continue
        problems, cfn = sam_translate(path)
        if problems:
            for p in problems:
                print(f"{f}: {p}")
            status = max(status, 1)
            continue
        resolver = Resolver(cfn)
        documents = {}
        for name, document in policy_documents(cfn):
            try:
                documents[name] = resolver.value(document)
            except Unresolved as e:
                print(f"{f}: cannot resolve {e} in policy {name}")
                status = max(status, 1)
        if not documents:
            print(f"{f}: no policy document found")
            status = max(status, 1)
        if show:
            print(json.dumps({"file": f, "policies": documents}, sort_keys=True))
            continue
        for name, document in documents.items():
            for severity, issue, detail, location in audit(name, document, community):
                if known_false(issue, detail):
                    print(f"{f}: ignored (parliament's known false positive) {issue} ({name}) {detail}")
                    continue
                print(f"{f}: {severity} {issue} ({name}) {detail} {location}")
                if severity in FAILING:
                    status = max(status, 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
