"""Makes moto 5.2's IAM enforcement usable with least-privilege roles (installed by moto_launcher.py).

With INITIAL_NO_AUTH_ACTION_COUNT reached, moto checks every request's signature and action
against the caller's policies, but it knows the resource of a request only for SQS, IAM and
STS: DynamoDB, Step Functions and EventBridge requests are checked against Resource "*", so a
statement scoped to a table or a state machine never matches and every scoped role is denied.
This module

- names the resource of DynamoDB, Step Functions and EventBridge requests as AWS does (the
  table or index; the state machine or execution, a task token's state machine; each event
  bus), and checks TransactWriteItems / TransactGetItems per item action (dynamodb:PutItem,
  UpdateItem, DeleteItem, ConditionCheckItem, GetItem), which is how IAM authorises them;
- answers JSON-protocol services with their own error shapes (AccessDeniedException,
  UnrecognizedClientException, InvalidSignatureException) instead of moto's XML, which the
  SDKs of JSON services cannot read;
- maps a few fixed access key ids to principals (LOCAL_CLOUD_IAM_PRINCIPALS aliases): the harness's
  "testing" key to the local cloud's admin user, and "ak", the key moto's Step Functions
  interpreter signs its own service calls with, to the state machine's role. Aliased keys are
  accepted with any secret, as moto accepts every key without enforcement.

Conditions stay as moto evaluates them (it ignores the operators it does not know, so a
statement with dynamodb:LeadingKeys applies unconditionally here); the local cloud's gateway
evaluates those. Nothing changes unless LOCAL_CLOUD_IAM_PRINCIPALS is set.
"""
import json
import os
from urllib.parse import urlparse

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.iam import access_control
from moto.iam.access_control import AssumedRoleAccessKey, IAMRequest, IAMRequestBase, IAMUserAccessKey
from moto.utilities.utils import get_partition

DYNAMODB_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
SFN_EXECUTION_ACTIONS = {"DescribeExecution", "StopExecution", "GetExecutionHistory", "DescribeStateMachineForExecution", "RedriveExecution"}
SFN_TOKEN_ACTIONS = {"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"}


def _aliases():
    config = json.loads(os.environ.get("LOCAL_CLOUD_IAM_PRINCIPALS") or "{}")
    return config.get("aliases", {})


def _alias_identity(account_id, partition, access_key_id, alias):
    """The principal an alias stands for, with the policies moto collects for it."""
    if "user" in alias:
        identity = IAMUserAccessKey.__new__(IAMUserAccessKey)
        identity.account_id, identity.partition = account_id, partition
        identity._owner_user_name = alias["user"]
        identity._access_key_id, identity._secret_access_key = access_key_id, ""
    else:
        identity = AssumedRoleAccessKey.__new__(AssumedRoleAccessKey)
        identity.account_id, identity.partition = account_id, partition
        identity._owner_role_name = alias["role"]
        identity._session_name = alias.get("session", "local-cloud")
        identity._access_key_id, identity._secret_access_key, identity._session_token = access_key_id, "", ""
    identity._local_cloud_alias = True
    return identity


_original_create_access_key = access_control.create_access_key


def _create_access_key(account_id, partition, access_key_id, headers):
    alias = _aliases().get(access_key_id)
    if alias is None:
        return _original_create_access_key(account_id=account_id, partition=partition, access_key_id=access_key_id, headers=headers)
    return _alias_identity(account_id, partition, access_key_id, alias)


_original_check_signature = IAMRequestBase.check_signature
_original_check_action_permitted = IAMRequestBase.check_action_permitted


def _check_signature(self):
    if getattr(self._access_key, "_local_cloud_alias", False):
        return
    _original_check_signature(self)


def _check_action_permitted(self, resource):
    self._local_cloud_resource = resource
    _original_check_action_permitted(self, resource)


def _json_protocol(request):
    headers = request._headers
    return bool(headers.get("X-Amz-Target") or headers.get("x-amz-target"))


_original_access_denied = IAMRequest._raise_access_denied
_original_invalid_key = IAMRequest._raise_invalid_access_key
_original_signature = IAMRequest._raise_signature_does_not_match


def _raise_access_denied(self):
    if not _json_protocol(self):
        _original_access_denied(self)
    resource = getattr(self, "_local_cloud_resource", "*")
    message = (
        f"User: {self._access_key.arn} is not authorized to perform: {self._action} on resource: {resource} "
        f"because no identity-based policy allows the {self._action} action"
    )
    raise JsonRESTError("AccessDeniedException", message)


def _raise_invalid_access_key(self, reason):
    if not _json_protocol(self):
        _original_invalid_key(self, reason)
    raise JsonRESTError("UnrecognizedClientException", "The security token included in the request is invalid.")


def _raise_signature_does_not_match(self):
    if not _json_protocol(self):
        _original_signature(self)
    raise JsonRESTError(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    )


# ------------------------------------------------------------------ resources per service


def _body(handler):
    raw = getattr(handler, "raw_body", None) or b"{}"
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return {}


def _arn(handler, service, resource):
    return f"arn:{get_partition(handler.region)}:{service}:{handler.region}:{handler.current_account}:{resource}"


def _table(handler, name, index=None):
    arn = name if name.startswith("arn:") else _arn(handler, "dynamodb", f"table/{name}")
    return f"{arn}/index/{index}" if index else arn


def _dynamodb_checks(handler):
    action = handler._get_action()
    body = _body(handler)
    if action in ("TransactWriteItems", "TransactGetItems"):
        checks = []
        for item in body.get("TransactItems", []):
            for kind, request in item.items():
                checks.append((DYNAMODB_TRANSACT_ACTIONS.get(kind, action), _table(handler, request.get("TableName", ""))))
        return checks
    if action in ("BatchGetItem", "BatchWriteItem"):
        return [(None, _table(handler, name)) for name in body.get("RequestItems", {})]
    if "TableName" in body:
        return [(None, _table(handler, body["TableName"], body.get("IndexName")))]
    if "ResourceArn" in body:
        return [(None, body["ResourceArn"])]
    return [(None, "*")]


def _state_machine_of_token(handler, token):
    from moto.stepfunctions.responses import get_backend

    for machine in get_backend(handler.current_account, handler.region).state_machines:
        for execution in getattr(machine, "executions", []):
            env = getattr(getattr(execution, "exec_worker", None), "env", None)
            manager = getattr(env, "callback_pool_manager", None)
            if manager is not None and manager.get(token) is not None:
                return machine.arn
    return None


def _stepfunctions_checks(handler):
    action = handler._get_action()
    body = _body(handler)
    if action in SFN_TOKEN_ACTIONS:
        machine = _state_machine_of_token(handler, body.get("taskToken", ""))
        # An unknown token fails on its own (InvalidToken, TaskTimedOut); only the caller is checked.
        return [(None, machine)] if machine else []
    if action in SFN_EXECUTION_ACTIONS and "executionArn" in body:
        return [(None, body["executionArn"])]
    if "stateMachineArn" in body:
        return [(None, body["stateMachineArn"])]
    return [(None, "*")]


def _events_checks(handler):
    action = handler._get_action()
    body = _body(handler)
    if action == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in body.get("Entries", [])}
        return [(None, bus if bus.startswith("arn:") else _arn(handler, "events", f"event-bus/{bus}")) for bus in sorted(buses)]
    return [(None, "*")]


def _request_class(action):
    if action is None:
        return IAMRequest
    return lambda **kwargs: IAMRequest(**{**kwargs, "action": action})


def _authorizer(checks_of):
    def authorize(self, resource="*"):
        checks = checks_of(self)
        if not checks:
            _authenticate_only(self)
        for action, checked in checks:
            self._authenticate_and_authorize_action(_request_class(action), checked)

    return authorize


def _authenticate_only(handler):
    """Checks the caller's key and signature, as every request is checked, without an action."""
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    parsed = urlparse(handler.uri)
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    request = IAMRequest(
        account_id=handler.current_account, method=handler.method, path=path, data=handler.data,
        body=handler.raw_body, headers=handler.headers, action=handler._get_action(),
    )
    request.check_signature()


def install():
    if not os.environ.get("LOCAL_CLOUD_IAM_PRINCIPALS"):
        return
    from moto.dynamodb.responses import DynamoHandler
    from moto.events.responses import EventsHandler
    from moto.stepfunctions.responses import StepFunctionResponse

    access_control.create_access_key = _create_access_key
    IAMRequestBase.check_signature = _check_signature
    IAMRequestBase.check_action_permitted = _check_action_permitted
    IAMRequest._raise_access_denied = _raise_access_denied
    IAMRequest._raise_invalid_access_key = _raise_invalid_access_key
    IAMRequest._raise_signature_does_not_match = _raise_signature_does_not_match
    DynamoHandler._authenticate_and_authorize_normal_action = _authorizer(_dynamodb_checks)
    StepFunctionResponse._authenticate_and_authorize_normal_action = _authorizer(_stepfunctions_checks)
    EventsHandler._authenticate_and_authorize_normal_action = _authorizer(_events_checks)
