"""Starts moto_server with a fix for moto 5.2.1's StartExecution.

moto deep-copies the state machine on every StartExecution. The copy reaches the running
executions (through `executions`) and the whole backend (through `backend`), whose thread locks
cannot be copied, so every StartExecution after the first fails with
"cannot pickle '_thread.RLock'". A state machine's copy needs neither: the backend is shared, and
a fresh copy owns no executions. This launcher teaches StateMachine to copy itself that way, then
hands over to moto's own server entry point with the given arguments.

It also installs the fixes next to this file: moto_transactions (TransactWriteItems backs up only
what a transaction touches, so the registry's session writes stay fast as the table and stream
grow), moto_update_records (an UpdateItem that creates its item writes one stream record),
moto_stop_execution (StopExecution makes the execution ABORTED at once, as on AWS) and
moto_execution_events (executions send "Step Functions Execution Status Change" events, as AWS's do)
and moto_request_costs (routing and service models worked out once, not on every request).
With LOCAL_CLOUD_IAM_PRINCIPALS set, moto_iam makes moto's IAM enforcement work with scoped roles.
"""
import copy
import sys

from moto.stepfunctions.models import StateMachine


def _copy_without_backend_or_executions(self, memo):
    clone = self.__class__.__new__(self.__class__)
    memo[id(self)] = clone
    backend = self.__dict__.get("backend")
    if backend is not None:
        memo[id(backend)] = backend
    executions = self.__dict__.get("executions")
    if executions is not None:
        memo[id(executions)] = []
    for name, value in self.__dict__.items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


StateMachine.__deepcopy__ = _copy_without_backend_or_executions

def install_fixes():
    """The fixes next to this file; each wraps what the one before it installed, so none undoes another."""
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    import moto_execution_events
    import moto_iam
    import moto_keep_alive
    import moto_request_costs
    import moto_stop_execution
    import moto_transactions
    import moto_update_records

    moto_request_costs.install()
    moto_transactions.install()
    moto_update_records.install()
    moto_stop_execution.install()
    moto_iam.install()
    moto_execution_events.install()
    moto_keep_alive.install()


if __name__ == "__main__":
    install_fixes()
    from moto.server import main

    main(sys.argv[1:])
