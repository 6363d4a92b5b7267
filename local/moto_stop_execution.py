"""StopExecution ends an execution at once, as on AWS.

On AWS, StopExecution stops the execution and answers its stopDate; DescribeExecution and
ListExecutions show it ABORTED from then on (Step Functions API Reference, StopExecution and
DescribeExecution). moto 5.2.1's interpreter only flags its program as stopped: the execution stays
RUNNING until its worker thread notices, and a worker waiting for a task token
(waitForTaskToken, up to the drain deadline) notices only when the wait ends. This marks the
execution ABORTED, with its stop date, when StopExecution is accepted; the worker later reflects
the same status.
"""
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.backend.execution import Execution


def install():
    original = Execution.stop

    def stop(self, stop_date, error, cause):
        original(self, stop_date, error, cause)
        if self.exec_status == ExecutionStatus.RUNNING:
            self.exec_status = ExecutionStatus.ABORTED
            self.stop_date = stop_date

    Execution.stop = stop
