import type { Deps } from '../shared/deps.js';
import { customResourceHandler } from '../shared/handler-kit.js';
import { putPresigned } from '../shared/presigned-put.js';
import { runtimeDeps } from '../shared/runtime.js';
import { answerStackRequest, type RemovalIo, type RemovalOutcome } from '../core/drain/release-on-removal.js';

/**
 * ReleaseOnRemovalFunction, the ServiceToken of the stack's custom resource ReleaseOnRemoval:
 * CloudFormation invokes it on the stack's creation (nothing to do), update (clusters that left
 * ClusterArns are released) and deletion (every task of the stack's clusters is released: drains
 * stopped, DRAINING tasks ACTIVE, protection off). It answers CloudFormation through the request's
 * ResponseURL, SUCCESS even when the release failed, so that removal is never blocked.
 */
export async function runReleaseOnRemoval(deps: Deps, request: unknown, remainingMs: () => number, respond: RemovalIo['respond'] = putPresigned): Promise<RemovalOutcome> {
  return answerStackRequest(deps, request, { respond, remainingMs });
}

export const handler = customResourceHandler((deps, request, remainingMs) => runReleaseOnRemoval(deps, request, remainingMs), runtimeDeps);
