"""Expands a SAM template's IAM roles the way `sam deploy` does, for the local cloud.

Usage: python3 sam_translate.py <template.yaml> [region]

Runs the SAM translator (the one cfn-lint ships and uses, with cfn-lint's local copy of the
managed policy map, so no AWS call is made) and prints JSON:

  { "roles": { <role logical id>: <AWS::IAM::Role Properties> },
    "functions": { <function logical id>: <its role's logical id> },
    "stateMachines": { <state machine logical id>: <its role's logical id> },
    "rules": { <rule logical id>: <AWS::Events::Rule Properties> },
    "permissions": { <permission logical id>: <AWS::Lambda::Permission Properties> } }

The rules include those SAM generates from EventBridgeRule and Schedule events of functions.

Policy templates (EventBridgePutEventsPolicy, SQSSendMessagePolicy, LambdaInvokePolicy, ...)
come out expanded; intrinsic functions are left for the caller to resolve against the stack.
"""
import json
import sys

from cfnlint.decode import decode
from cfnlint.template.transforms._sam import Transform


def role_logical_id(value):
    """The logical id in a Role / RoleArn property: Fn::GetAtt [<Role>, Arn], or None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return target[0] if isinstance(target, list) else str(target).split(".")[0]
    return None


def main(argv):
    path = argv[1]
    region = argv[2] if len(argv) > 2 else "us-east-1"
    template, problems = decode(path)
    if template is None:
        raise SystemExit(f"cannot read {path}: {problems}")
    transform = Transform(path, template, region)
    errors = transform.transform_template()
    if errors:
        raise SystemExit("SAM translation failed: " + "; ".join(str(error) for error in errors))
    resources = transform.template()["Resources"]
    result = {"roles": {}, "functions": {}, "stateMachines": {}, "rules": {}, "permissions": {}}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            result["roles"][logical_id] = properties
        elif resource["Type"] == "AWS::Lambda::Function":
            result["functions"][logical_id] = role_logical_id(properties.get("Role"))
        elif resource["Type"] == "AWS::StepFunctions::StateMachine":
            result["stateMachines"][logical_id] = role_logical_id(properties.get("RoleArn"))
        elif resource["Type"] == "AWS::Events::Rule":
            result["rules"][logical_id] = properties
        elif resource["Type"] == "AWS::Lambda::Permission":
            result["permissions"][logical_id] = properties
    json.dump(result, sys.stdout, default=str)


if __name__ == "__main__":
    main(sys.argv)
