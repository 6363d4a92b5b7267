import { randomUUID } from 'node:crypto';
import type { JsonResponse } from './http.js';
import type { TargetHealthDescription, TargetRequest } from './target-health.js';
import { definedOnly } from '../../functions/shared/optional.js';

/*
 * Elastic Load Balancing v2's Query protocol around the twin's target health, for the gateway and
 * for tests: a form-encoded POST (Action=DescribeTargetHealth, Version=2015-12-01, TargetGroupArn,
 * optional Targets.member.N.Id / .Port), answered in XML. Errors use the Query error shape
 * (ErrorResponse / Error / Type, Code, Message), which the SDK turns into TargetGroupNotFoundException.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealthDescription.html
 */

export const ELB_API_VERSION = '2015-12-01';
export const ELB_NAMESPACE = `http://elasticloadbalancing.amazonaws.com/doc/${ELB_API_VERSION}/`;
const CONTENT_TYPE = 'text/xml';

/** What the adapter needs from the twin. */
export interface TargetHealthSource {
  knowsTargetGroup(targetGroupArn: string): boolean;
  targetHealth(targetGroupArn: string, targets?: readonly TargetRequest[]): TargetHealthDescription[];
}

/** The Action and Version of a Query request body (form-encoded). */
export function queryAction(body: string): { action: string | undefined; version: string | undefined } {
  const form = new URLSearchParams(body);
  return { action: form.get('Action') ?? undefined, version: form.get('Version') ?? undefined };
}

/** Whether the twin answers this request: DescribeTargetHealth (2015-12-01) for a target group it knows. */
export function answersQuery(twin: TargetHealthSource, body: string): boolean {
  const form = new URLSearchParams(body);
  const arn = form.get('TargetGroupArn');
  return form.get('Action') === 'DescribeTargetHealth' && form.get('Version') === ELB_API_VERSION && arn !== null && twin.knowsTargetGroup(arn);
}

export function elbQueryResponse(twin: TargetHealthSource, body: string): JsonResponse {
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (form.get('Version') !== ELB_API_VERSION) return errorResponse('InvalidAction', `Version ${form.get('Version') ?? '(none)'} is not supported: the twin speaks ${ELB_API_VERSION}.`);
  if (action !== 'DescribeTargetHealth') return errorResponse('InvalidAction', `The action ${action ?? '(none)'} is not valid for this web service.`);
  const arn = form.get('TargetGroupArn');
  if (arn === null || arn === '') {
    return errorResponse('ValidationError', "1 validation error detected: Value null at 'targetGroupArn' failed to satisfy constraint: Member must not be null");
  }
  if (!twin.knowsTargetGroup(arn)) return errorResponse('TargetGroupNotFound', 'One or more target groups not found');
  const targets = readTargets(form);
  if (targets instanceof Error) return errorResponse('ValidationError', targets.message);
  const descriptions = twin.targetHealth(arn, targets);
  const requestId = randomUUID();
  const xml =
    `<DescribeTargetHealthResponse xmlns="${ELB_NAMESPACE}">` +
    `<DescribeTargetHealthResult><TargetHealthDescriptions>${descriptions.map(member).join('')}</TargetHealthDescriptions></DescribeTargetHealthResult>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</DescribeTargetHealthResponse>`;
  return { status: 200, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: xml };
}

/** Targets.member.N.Id / .Port, in N order. */
function readTargets(form: URLSearchParams): TargetRequest[] | Error | undefined {
  const byIndex = new Map<number, { id?: string; port?: string }>();
  for (const [key, value] of form) {
    const match = /^Targets\.member\.(\d+)\.(Id|Port|AvailabilityZone)$/.exec(key);
    if (match === null) continue;
    const index = Number(match[1]);
    const entry = byIndex.get(index) ?? {};
    if (match[2] === 'Id') entry.id = value;
    if (match[2] === 'Port') entry.port = value;
    byIndex.set(index, entry);
  }
  if (byIndex.size === 0) return undefined;
  const targets: TargetRequest[] = [];
  for (const [index, entry] of [...byIndex].sort(([a], [b]) => a - b)) {
    if (entry.id === undefined) return new Error(`1 validation error detected: Value null at 'targets.${index}.member.id' failed to satisfy constraint: Member must not be null`);
    const port = entry.port === undefined ? undefined : Number(entry.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      return new Error(`1 validation error detected: Value '${entry.port ?? ''}' at 'targets.${index}.member.port' failed to satisfy constraint: Member must have value between 1 and 65535`);
    }
    targets.push({ id: entry.id, ...definedOnly({ port }) });
  }
  return targets;
}

function member(description: TargetHealthDescription): string {
  const health = description.TargetHealth;
  return (
    '<member>' +
    `<Target><Id>${escape(description.Target.Id)}</Id><Port>${description.Target.Port}</Port></Target>` +
    `<HealthCheckPort>${escape(description.HealthCheckPort)}</HealthCheckPort>` +
    `<TargetHealth><State>${health.State}</State>` +
    (health.Reason === undefined ? '' : `<Reason>${escape(health.Reason)}</Reason>`) +
    (health.Description === undefined ? '' : `<Description>${escape(health.Description)}</Description>`) +
    '</TargetHealth>' +
    '</member>'
  );
}

function errorResponse(code: string, message: string, status = 400): JsonResponse {
  const requestId = randomUUID();
  const xml =
    `<ErrorResponse xmlns="${ELB_NAMESPACE}">` +
    `<Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`;
  return { status, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, body: xml };
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
