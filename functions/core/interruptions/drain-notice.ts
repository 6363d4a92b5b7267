import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Deps } from '../../shared/deps.js';
import type { DrainReason } from '../../registry/model.js';
import { NamedError } from '../../shared/errors.js';
import { definedOnly } from '../../shared/optional.js';

export const NOTICE_SOURCE = 'ecs-session-drain';
export const NOTICE_DETAIL_TYPE = 'Session Drain Notice';

/** The app-facing event: tells the application a task is going away and by when. */
export interface DrainNotice {
  clusterArn: string;
  taskArn: string;
  serviceName?: string;
  reason: DrainReason;
  /** ISO-8601. */
  deadline: string;
  sessionCount: number;
}

export class NoticeNotPublishedError extends NamedError {
  override readonly name = 'NoticeNotPublishedError';
}

/**
 * Publishes one Session Drain Notice. PutEvents reports per-entry failures in its answer rather
 * than as an error; such a failure is thrown so that the invocation is retried (consumers see
 * notices at least once, as with any EventBridge event, and key them on taskArn + reason).
 */
export async function publishDrainNotice(deps: Pick<Deps, 'eventBridge' | 'config' | 'logger'>, notice: DrainNotice): Promise<void> {
  const detail: DrainNotice = {
    clusterArn: notice.clusterArn,
    taskArn: notice.taskArn,
    ...definedOnly({ serviceName: notice.serviceName }),
    reason: notice.reason,
    deadline: notice.deadline,
    sessionCount: notice.sessionCount,
  };
  const response = await deps.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: deps.config.eventBusName,
          Source: NOTICE_SOURCE,
          DetailType: NOTICE_DETAIL_TYPE,
          Resources: [notice.taskArn],
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  const entry = response.Entries?.[0];
  if ((response.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode !== undefined) {
    throw new NoticeNotPublishedError(`PutEvents refused the drain notice: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
  }
  deps.logger.info('drain notice published', { taskArn: notice.taskArn, reason: notice.reason, deadline: notice.deadline });
}
