import { randomUUID } from 'node:crypto';
import type { JsonResponse } from '../http.js';
import { type AutoScalingTwin, AutoScalingValidationError, TERMINATING } from './groups.js';

/*
 * Amazon EC2 Auto Scaling's Query protocol (Version 2011-01-01) around the twin's groups, for the
 * gateway: a form-encoded POST signed for "autoscaling", answered in XML. The actions the
 * orchestrator calls: DescribeLifecycleHooks, RecordLifecycleActionHeartbeat, CompleteLifecycleAction.
 * Errors use the Query shape (ErrorResponse / Error / Type, Code, Message), from which the SDK
 * names its exception (ValidationError).
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CompleteLifecycleAction.html
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DescribeLifecycleHooks.html
 */

export const AUTOSCALING_API_VERSION = '2011-01-01';
const NAMESPACE = `http://autoscaling.amazonaws.com/doc/${AUTOSCALING_API_VERSION}/`;
export const AUTOSCALING_ACTIONS = ['DescribeLifecycleHooks', 'RecordLifecycleActionHeartbeat', 'CompleteLifecycleAction'] as const;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function errorResponse(code: string, message: string, status = 400): JsonResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function ok(action: string, result: string): JsonResponse {
  const requestId = randomUUID();
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<${action}Response xmlns="${NAMESPACE}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function members(form: URLSearchParams, name: string): string[] {
  return [...form]
    .map(([key, value]) => ({ index: Number(new RegExp(`^${name}\\.member\\.(\\d+)$`).exec(key)?.[1]), value }))
    .filter((entry) => Number.isInteger(entry.index))
    .sort((a, b) => a.index - b.index)
    .map((entry) => entry.value);
}

/** Times the twin keeps in scenario seconds, as the real seconds a caller in real time lives through. */
function realSeconds(scenarioSeconds: number, scale: number): number {
  return Math.max(1, Math.ceil(scenarioSeconds * scale));
}

export function autoScalingQueryResponse(twin: AutoScalingTwin, body: string, scale: number): JsonResponse {
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (form.get('Version') !== AUTOSCALING_API_VERSION) return errorResponse('InvalidAction', `Version ${form.get('Version') ?? '(none)'} is not supported: the twin speaks ${AUTOSCALING_API_VERSION}.`);
  const groupName = form.get('AutoScalingGroupName') ?? '';
  const hookName = form.get('LifecycleHookName') ?? '';
  const token = form.get('LifecycleActionToken') ?? undefined;
  const instanceId = form.get('InstanceId') ?? undefined;
  try {
    if (action === 'DescribeLifecycleHooks') {
      const hooks = twin.describeLifecycleHooks(groupName, members(form, 'LifecycleHookNames'));
      const xml = hooks
        .map(
          (hook) =>
            `<member><LifecycleHookName>${escape(hook.name)}</LifecycleHookName><AutoScalingGroupName>${escape(groupName)}</AutoScalingGroupName>` +
            `<LifecycleTransition>${TERMINATING}</LifecycleTransition><HeartbeatTimeout>${realSeconds(hook.heartbeatTimeoutSeconds, scale)}</HeartbeatTimeout>` +
            `<GlobalTimeout>${realSeconds(hook.globalTimeoutSeconds, scale)}</GlobalTimeout><DefaultResult>${hook.defaultResult}</DefaultResult></member>`,
        )
        .join('');
      return ok(action, `<LifecycleHooks>${xml}</LifecycleHooks>`);
    }
    if (action === 'RecordLifecycleActionHeartbeat') {
      twin.recordLifecycleActionHeartbeat({ groupName, hookName, ...(token ? { token } : {}), ...(instanceId ? { instanceId } : {}) });
      return ok(action, '');
    }
    if (action === 'CompleteLifecycleAction') {
      twin.completeLifecycleAction({ groupName, hookName, result: form.get('LifecycleActionResult') ?? '', ...(token ? { token } : {}), ...(instanceId ? { instanceId } : {}) });
      return ok(action, '');
    }
  } catch (error) {
    if (error instanceof AutoScalingValidationError) return errorResponse('ValidationError', error.message);
    throw error;
  }
  return errorResponse('InvalidAction', `The action ${action ?? '(none)'} is not valid for this web service (the twin answers ${AUTOSCALING_ACTIONS.join(', ')}).`);
}
