import { ListContainerInstancesCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/handlers/rebalance-recommendation.js';
import type { RebalanceAction } from '../../../functions/shared/config.js';
import { CLUSTER_ARN, NOW, taskArn } from '../../support/deps.js';
import { CONTAINER_INSTANCE_ARN, rebalanceRecommendation } from '../../support/ecs-events.js';
import { handlerTestDeps, type HandlerTestDeps, startedDrainInputs } from './handler-harness.js';
import { getTaskInput, registryItem } from './fixtures.js';

const busy = taskArn('000000000000000000000000000000b1');

function arrange(rebalanceAction: RebalanceAction): HandlerTestDeps {
  const t = handlerTestDeps({ config: { rebalanceAction } });
  t.mocks.ecs.on(ListContainerInstancesCommand).resolves({ containerInstanceArns: [CONTAINER_INSTANCE_ARN] });
  t.mocks.ecs.on(ListTasksCommand).resolves({ taskArns: [busy] });
  t.mocks.ddb.on(GetCommand, getTaskInput(busy)).resolves({ Item: registryItem(busy, { sessionCount: 3 }) });
  t.mocks.ddb.on(UpdateCommand).resolves({});
  t.mocks.sfn.on(StartExecutionCommand).resolves({});
  return t;
}


describe('RebalanceRecommendationAction', () => {
  it('drain (the default): INSTANCE drains with the default deadline, each with a replacement', async () => {
    const t = arrange('drain');

    await createHandler(t.getDeps)(rebalanceRecommendation());

    expect(startedDrainInputs(t)).toEqual([{ cluster: CLUSTER_ARN, taskArn: busy, service: 'chat', reason: 'INSTANCE', deadline: new Date(NOW.getTime() + 3600_000).toISOString() }]);
  });

  it('cordon-only: the tasks refuse new sessions and keep their users up to MAX_DRAIN_SECONDS, and no replacement is started', async () => {
    const t = arrange('cordon-only');

    await createHandler(t.getDeps)(rebalanceRecommendation());

    expect(startedDrainInputs(t)).toEqual([
      { cluster: CLUSTER_ARN, taskArn: busy, service: 'chat', reason: 'INSTANCE', deadline: new Date(NOW.getTime() + 8 * 3600_000).toISOString(), ecsReplacesTask: true },
    ]);
  });
});
