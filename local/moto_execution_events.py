"""Makes moto 5.2.1's Step Functions send "Step Functions Execution Status Change" events.

AWS sends one to the account's default event bus for every status change of a Standard
workflow's execution (Step Functions guide, cw-events.html; EventBridge reference,
events-ref-states.html, delivery best effort). moto sends none, so the orchestrator's rule for
ended drain executions (ExecutionEndedFunction) would never fire locally. Here the interpreter's
start and end of an execution put the event on moto's own default bus, whose rules route it
like any other: source aws.states, resources [executionArn], and the detail AWS documents:
executionArn, stateMachineArn, name, status, startDate and stopDate (epoch milliseconds, stopDate
null while running), input and output (JSON strings; output null unless SUCCEEDED), inputDetails
and outputDetails ({"included": true}), error and cause (null unless the execution failed).
"""
import json
import logging

from moto.events.models import events_backends
from moto.stepfunctions.parser.backend import execution as executions
from moto.stepfunctions.parser.backend.state_machine import StateMachineVersion

LOG = logging.getLogger(__name__)


def _millis(moment):
    return None if moment is None else int(moment.timestamp() * 1000)


def _json(value):
    return json.dumps(value, separators=(",", ":"))


def _detail(execution, status):
    machine = execution.state_machine
    succeeded = status == "SUCCEEDED"
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": machine.source_arn if isinstance(machine, StateMachineVersion) else machine.arn,
        "name": execution.name,
        "status": status,
        "startDate": _millis(execution.start_date),
        "stopDate": _millis(execution.stop_date),
        "input": _json(execution.input_data),
        "inputDetails": {"included": True},
        "output": _json(execution.output) if succeeded else None,
        "outputDetails": {"included": True} if succeeded else None,
        "error": execution.error,
        "cause": execution.cause,
    }


def send_status_change(execution):
    """Puts the event for the execution's current status; a failure is logged, never raised into the interpreter."""
    status = "RUNNING" if execution.exec_status is None else execution.exec_status.value
    try:
        events_backends[execution.account_id][execution.region_name].put_events(
            [
                {
                    "Source": "aws.states",
                    "DetailType": "Step Functions Execution Status Change",
                    "Detail": json.dumps(_detail(execution, status)),
                    "Resources": [execution.exec_arn],
                    "EventBusName": "default",
                }
            ]
        )
    except Exception:  # noqa: BLE001 - an event lost is what AWS's best effort allows too
        LOG.exception("could not send the status change of %s", execution.exec_arn)


def install():
    original_start = executions.Execution.start
    original_terminated = executions.BaseExecutionWorkerCommunication.terminated

    def start(self):
        original_start(self)
        send_status_change(self)

    def terminated(self):
        original_terminated(self)
        send_status_change(self.execution)

    executions.Execution.start = start
    executions.BaseExecutionWorkerCommunication.terminated = terminated
