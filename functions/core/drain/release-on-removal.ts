import { z } from 'zod';
import { ClusterArn } from '../../events/arns.js';
import type { Deps } from '../../shared/deps.js';
import { NamedError } from '../../shared/errors.js';
import { describeIssues } from '../../shared/issues.js';
import { releaseAll, type ReleaseSummary, type ReleaseTrigger } from './release-all.js';
import { definedOnly } from '../../shared/optional.js';

/**
 * The stack's custom resource (template.yaml ReleaseOnRemoval, Custom::ReleaseOnRemoval): Create
 * does nothing; Update releases the clusters that left ClusterArns; Delete (`sam delete`, or the
 * resource leaving the template) releases every task of the stack's clusters (release-all.ts),
 * since the registry table outlives the stack and nothing would release them afterwards.
 *
 * The request and answer are CloudFormation's (User Guide, "Custom resource request and response
 * reference"): requests carry RequestType, RequestId, ResponseURL, ResourceType, LogicalResourceId,
 * StackId, ResourceProperties, and PhysicalResourceId (Update, Delete) and OldResourceProperties
 * (Update); the answer is a JSON body PUT to the presigned ResponseURL with Status (SUCCESS or
 * FAILED), Reason (required when FAILED), PhysicalResourceId (non-empty, the same in every answer
 * for the resource), StackId, RequestId and LogicalResourceId copied from the request; at most
 * 4,096 bytes. CloudFormation fails the operation when no answer arrives in time.
 */

export class CustomResourceAnswerError extends NamedError {
  override readonly name = 'CustomResourceAnswerError';
}

export interface RemovalIo {
  /** PUTs CloudFormation's answer to the ResponseURL (shared/presigned-put.ts in the handler). */
  respond: (url: string, body: string, timeoutMs: number) => Promise<void>;
  /** Milliseconds left before Lambda ends the invocation. */
  remainingMs: () => number;
}

export type RemovalOutcome =
  | { answered: 'SUCCESS' | 'FAILED'; requestType: string; reason: string; summary?: ReleaseSummary }
  | { answered: false; reason: string };

/** Time kept back for the answer itself: three PUTs of ANSWER_TIMEOUT_MS each, with room to spare. */
export const ANSWER_RESERVE_MS = 15_000;
const ANSWER_TIMEOUT_MS = 4_000;
const ANSWER_ATTEMPTS = 3;
/** The Reason stays well within the 4,096 bytes of the whole answer. */
const REASON_CHARACTERS = 1_000;

const EnvelopeSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().min(1).optional(),
});
type Envelope = z.infer<typeof EnvelopeSchema>;

/** CloudFormation passes a CommaDelimitedList parameter's Ref as a list; a joined string is accepted too. */
const ClusterList = z.union([z.array(ClusterArn), z.string().transform((joined) => joined.split(',').filter((each) => each !== ''))]).pipe(z.array(ClusterArn));
const PropertiesSchema = z.object({ ClusterArns: ClusterList });

export async function answerStackRequest(deps: Pick<Deps, 'ecs' | 'ddb' | 'sfn' | 'config' | 'logger' | 'now'>, raw: unknown, io: RemovalIo): Promise<RemovalOutcome> {
  const envelope = EnvelopeSchema.safeParse(raw);
  if (!envelope.success) {
    // Without a ResponseURL and the ids to copy there is no one to answer: not CloudFormation's request.
    const reason = `not a CloudFormation custom resource request: ${describeIssues(envelope.error)}`;
    deps.logger.error('custom resource request refused', { reason });
    return { answered: false, reason };
  }
  const request = envelope.data;
  const physicalId = request.PhysicalResourceId ?? `release-on-removal:${request.StackId}`;
  const properties = PropertiesSchema.safeParse((raw as { ResourceProperties?: unknown }).ResourceProperties);

  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason: string;
  let summary: ReleaseSummary | undefined;
  if (request.RequestType === 'Create') {
    // A broken template fails here, at creation, rather than at deletion when nothing could be released.
    if (!properties.success) status = 'FAILED';
    reason = properties.success ? 'nothing to do on creation' : `ResourceProperties: ${describeIssues(properties.error)}`;
  } else {
    const clusters = releasedClusters(deps, request, raw, properties.success ? properties.data.ClusterArns : undefined);
    const trigger: ReleaseTrigger = request.RequestType === 'Delete' ? 'stack-deletion' : 'stack-update';
    const outcome = clusters.length === 0 ? undefined : await releaseWithin(deps, clusters, trigger, io.remainingMs() - ANSWER_RESERVE_MS);
    summary = outcome?.summary;
    // Never FAILED: a FAILED Delete leaves the stack DELETE_FAILED with every other resource in place,
    // and a FAILED Update rolls the scope change back; either way the release is no further on, and
    // it can always be run again with DrainControl release-all. The failure is logged and told here.
    reason = outcome === undefined ? 'no cluster to release' : outcome.reason;
  }
  await answer(deps, io, request, { Status: status, Reason: reason.slice(0, REASON_CHARACTERS), PhysicalResourceId: physicalId });
  deps.logger.info('custom resource answered', { requestType: request.RequestType, status, reason, ...definedOnly({ summary }) });
  return { answered: status, requestType: request.RequestType, reason, ...definedOnly({ summary }) };
}

/** Delete: the stack's clusters; Update: those in the old properties but not the new. */
function releasedClusters(deps: Pick<Deps, 'config' | 'logger'>, request: Envelope, raw: unknown, current: string[] | undefined): string[] {
  if (request.RequestType === 'Delete') {
    if (current !== undefined) return current;
    deps.logger.error('Delete request without usable ClusterArns: releasing the clusters in CLUSTER_ARNS instead');
    return [...deps.config.clusterArns];
  }
  const old = PropertiesSchema.safeParse((raw as { OldResourceProperties?: unknown }).OldResourceProperties);
  if (!old.success || current === undefined) {
    deps.logger.error('Update request without usable ClusterArns: nothing released', { oldValid: old.success, newValid: current !== undefined });
    return [];
  }
  return old.data.ClusterArns.filter((clusterArn) => !current.includes(clusterArn));
}

async function releaseWithin(
  deps: Pick<Deps, 'ecs' | 'ddb' | 'sfn' | 'config' | 'logger' | 'now'>,
  clusterArns: string[],
  trigger: ReleaseTrigger,
  budgetMs: number,
): Promise<{ reason: string; summary?: ReleaseSummary }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, budgetMs));
  });
  try {
    const result = await Promise.race([releaseAll(deps, { clusterArns, stopEveryExecution: trigger === 'stack-deletion', trigger }), late]);
    if (result === 'late') {
      deps.logger.error('release unfinished when the answer was due; run DrainControl release-all', { clusterArns, budgetMs });
      return { reason: `release of ${clusterArns.join(', ')} unfinished when the answer was due; run DrainControl release-all` };
    }
    const failures = result.failures === 0 ? '' : `; ${result.failures} failure(s), see the function's log and run DrainControl release-all`;
    return {
      summary: result,
      reason: `released ${clusterArns.join(', ')}: ${result.drainsStopped} drain(s) stopped, ${result.tasksReleased} task(s) back to ACTIVE, ${result.tasksUnprotected} task(s) unprotected${failures}`,
    };
  } catch (error) {
    deps.logger.error('release failed; the stack operation goes on', { clusterArns, error: error as Error });
    return { reason: `release failed (${(error as Error).name}: ${(error as Error).message}); run DrainControl release-all` };
  } finally {
    clearTimeout(timer);
  }
}

async function answer(
  deps: Pick<Deps, 'logger'>,
  io: RemovalIo,
  request: Envelope,
  fields: { Status: 'SUCCESS' | 'FAILED'; Reason: string; PhysicalResourceId: string },
): Promise<void> {
  const body = JSON.stringify({ ...fields, StackId: request.StackId, RequestId: request.RequestId, LogicalResourceId: request.LogicalResourceId });
  let last: unknown;
  for (let attempt = 1; attempt <= ANSWER_ATTEMPTS; attempt += 1) {
    try {
      await io.respond(request.ResponseURL, body, ANSWER_TIMEOUT_MS);
      return;
    } catch (error) {
      last = error;
      deps.logger.warn('answer to CloudFormation not delivered', { attempt, error: error as Error });
    }
  }
  // Thrown, so that the invocation fails and Lambda's retries of the (asynchronous) invocation answer again.
  throw new CustomResourceAnswerError(`the answer to CloudFormation could not be delivered after ${ANSWER_ATTEMPTS} attempts`, { cause: last });
}
