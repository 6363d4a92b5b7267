import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from '../support/aws.js';
import { type EnvelopeEvent, MotoRuleMatcher, type RuleUnderTest } from '../support/eventbridge-matcher.js';
import {
  loadTemplate,
  resolvedEventPattern,
  resourcesOfType,
  TEMPLATE_PATH,
  TemplateResolver,
  translateTemplate,
  withTranslatedRules,
} from '@ecs-session-drain/local';

/*
 * The rule patterns of template.yaml, resolved for the cluster ARN of "sessions", judged by moto's
 * EventBridge against every sample in events/: each positive sample reaches its rule and no
 * other; each negative sample (events/negative) reaches none.
 */

const EVENTS_DIR = fileURLToPath(new URL('../../events', import.meta.url));

/** The rules SAM generates from the functions' events (<function><event>), as CloudFormation receives them. */
const TRANSLATED_RULES = (await translateTemplate(TEMPLATE_PATH, 'us-east-1')).rules;

/** Which rules each EventBridge-shaped sample must reach. A sample missing here fails the suite. */
const EXPECTED: Record<string, string[]> = {
  'deployment-in-progress.json': ['DeploymentEventFunctionDeploymentStateChange'],
  'deployment-completed.json': ['DeploymentEventFunctionDeploymentStateChange'],
  // A service task RUNNING towards RUNNING: the pacer's rule, and not the Spot rule (desiredStatus is not STOPPED).
  'task-running.json': ['DeploymentPacerFunctionTaskRunning'],
  // A blue/green deployment waits at its pause hook after the production traffic shift.
  'hook-awaiting-action.json': ['DeploymentHookFunctionHookAwaitingAction'],
  'fargate-spot-warning-termination-notice.json': ['SpotInterruptionFunctionFargateSpotWarning'],
  'fargate-spot-warning-spot-interruption.json': ['SpotInterruptionFunctionFargateSpotWarning'],
  'fargate-spot-warning-no-stop-code.json': ['SpotInterruptionFunctionFargateSpotWarning'],
  'task-stopped.json': ['TaskStoppedFunctionTaskStopped'],
  'container-instance-draining.json': ['ContainerInstanceDrainingFunctionInstanceDraining'],
  'ec2-spot-interruption-warning.json': ['SpotInterruptionFunctionEc2SpotInterruption'],
  'ec2-rebalance-recommendation.json': ['RebalanceRecommendationFunctionRebalanceRecommendation'],
  // An instance held at the terminate lifecycle hook the user added for the orchestrator (ECS's own
  // managed-draining hook reaches no rule: negative/ecs-managed-draining-lifecycle-action.json).
  'autoscaling-terminate-lifecycle-action.json': ['LifecycleTerminateFunctionTerminateLifecycleAction'],
  // AWS Health announces an EC2 scheduled event that takes the instance away (a network maintenance
  // of its host does not: negative/ec2-scheduled-network-maintenance.json).
  'ec2-scheduled-instance-retirement.json': ['ScheduledMaintenanceFunctionScheduledMaintenance'],
  // A drain workflow's execution that ended (Step Functions Execution Status Change).
  'execution-failed.json': ['ExecutionEndedFunctionWorkflowEnded'],
  // EventBridge delivers scheduled events to the schedule rule only; no pattern rule may take them.
  'reconciler-schedule.json': [],
};

interface Sample {
  file: string;
  event: EnvelopeEvent;
}

function isEnvelope(value: unknown): value is EnvelopeEvent {
  return typeof value === 'object' && value !== null && 'source' in value && 'detail-type' in value && 'detail' in value;
}

function samplesIn(directory: string): Sample[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return samplesIn(path);
      if (!entry.name.endsWith('.json')) return [];
      const event: unknown = JSON.parse(readFileSync(path, 'utf8'));
      return isEnvelope(event) ? [{ file: relative(EVENTS_DIR, path), event }] : [];
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

function patternRules(clusterNames: string[], clusterArns = clusterNames.map((name) => `arn:aws:ecs:us-east-1:111122223333:cluster/${name}`)): RuleUnderTest[] {
  const template = withTranslatedRules(loadTemplate(), TRANSLATED_RULES);
  const resolver = new TemplateResolver(template, {
    parameters: { ClusterArns: clusterArns },
    // Ref of a state machine is its ARN; its name is fixed by the template (<stack>-drain).
    ref: (logicalId, resource) =>
      resource.Type === 'AWS::Serverless::StateMachine' || resource.Type === 'AWS::StepFunctions::StateMachine'
        ? 'arn:aws:states:us-east-1:111122223333:stateMachine:ecs-session-drain-drain'
        : `<${logicalId}>`,
  });
  return resourcesOfType(template, 'AWS::Events::Rule').flatMap((name) => {
    const pattern = resolvedEventPattern(resolver, name);
    return pattern === undefined ? [] : [{ name, pattern }];
  });
}

const samples = samplesIn(EVENTS_DIR);
const awsSamples = samples.filter((sample) => sample.file.startsWith('aws/'));
const positives = samples.filter((sample) => !sample.file.startsWith('negative/') && !sample.file.startsWith('aws/'));

/**
 * AWS's own samples (events/aws/README.md), judged with the stack's scope set to the clusters they
 * name: each reaches the rule of the handler that acts on it, or none where the event is not one
 * the orchestrator acts on (an ACTIVE instance, a standalone task RUNNING).
 */
const AWS_EXPECTED: Record<string, string[]> = {
  'aws/fargate-spot-termination-notice.json': ['SpotInterruptionFunctionFargateSpotWarning'],
  'aws/ec2-spot-instance-interruption-warning.json': ['SpotInterruptionFunctionEc2SpotInterruption'],
  'aws/ec2-rebalance-recommendation.json': ['RebalanceRecommendationFunctionRebalanceRecommendation'],
  'aws/autoscaling-instance-terminate-lifecycle-action.json': ['LifecycleTerminateFunctionTerminateLifecycleAction'],
  'aws/ecs-deployment-in-progress.json': ['DeploymentEventFunctionDeploymentStateChange'],
  'aws/ecs-deployment-rollback-in-progress.json': ['DeploymentEventFunctionDeploymentStateChange'],
  'aws/ecs-deployment-completed.json': ['DeploymentEventFunctionDeploymentStateChange'],
  'aws/ecs-deployment-failed.json': ['DeploymentEventFunctionDeploymentStateChange'],
  'aws/ecs-container-instance-state-change.json': [],
  'aws/ecs-task-state-change.json': [],
};
const AWS_SAMPLE_CLUSTERS = [
  'arn:aws:ecs:us-east-1:111122223333:cluster/default',
  'arn:aws:ecs:us-west-2:111122223333:cluster/default',
  'arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster',
];
const negatives = samples.filter((sample) => sample.file.startsWith('negative/'));

describe('event rules of template.yaml, for the cluster "sessions"', () => {
  const rules = patternRules(['sessions']);
  let matcher: MotoRuleMatcher;

  beforeAll(async () => {
    matcher = await MotoRuleMatcher.create(motoClientConfig(), uniqueName('patterns'), rules);
  });
  afterAll(async () => {
    await matcher?.dispose();
  });

  it('has an expectation for every EventBridge sample in events/ and a sample for every pattern rule', () => {
    expect(positives.map((sample) => sample.file).sort()).toEqual(Object.keys(EXPECTED).sort());
    const exercised = new Set(Object.values(EXPECTED).flat());
    expect(rules.map((rule) => rule.name).filter((name) => !exercised.has(name))).toEqual([]);
    expect(negatives.length).toBeGreaterThan(0);
  });

  it.each(positives.map((sample) => [sample.file, sample] as const))('routes %s to its rule and no other', async (file, sample) => {
    const matched = await matcher.matchingRules(sample.event);

    expect(matched).toEqual(EXPECTED[file]);
  });

  it.each(negatives.map((sample) => [sample.file, sample] as const))('routes %s to no rule', async (_file, sample) => {
    const matched = await matcher.matchingRules(sample.event);

    expect(matched).toEqual([]);
  });
});

describe('event rules of template.yaml, for two clusters', () => {
  const rules = patternRules(['sessions', 'sessions-staging']);
  let matcher: MotoRuleMatcher;

  beforeAll(async () => {
    matcher = await MotoRuleMatcher.create(motoClientConfig(), uniqueName('patterns2'), rules);
  });
  afterAll(async () => {
    await matcher?.dispose();
  });

  it('starts drains for a deployment in the second cluster as well', async () => {
    const sample = negatives.find((candidate) => candidate.file === 'negative/other-cluster-deployment-in-progress.json');
    expect(sample).toBeDefined();

    const matched = await matcher.matchingRules(sample!.event);

    expect(matched).toEqual(['DeploymentEventFunctionDeploymentStateChange']);
  });

  it('still ignores a cluster named in neither', async () => {
    const sample = negatives.find((candidate) => candidate.file === 'negative/other-cluster-spot-warning.json');
    expect(sample).toBeDefined();

    const matched = await matcher.matchingRules(sample!.event);

    expect(matched).toEqual([]);
  });

  it('keeps the first cluster', async () => {
    const sample = positives.find((candidate) => candidate.file === 'fargate-spot-warning-spot-interruption.json');

    const matched = await matcher.matchingRules(sample!.event);

    expect(matched).toEqual(['SpotInterruptionFunctionFargateSpotWarning']);
  });
});

describe("event rules of template.yaml, for AWS's own samples and the clusters they name", () => {
  const rules = patternRules([], AWS_SAMPLE_CLUSTERS);
  let matcher: MotoRuleMatcher;

  beforeAll(async () => {
    matcher = await MotoRuleMatcher.create(motoClientConfig(), uniqueName('patterns-aws'), rules);
  });
  afterAll(async () => {
    await matcher?.dispose();
  });

  it('has an expectation for every sample in events/aws', () => {
    expect(awsSamples.map((sample) => sample.file).sort()).toEqual(Object.keys(AWS_EXPECTED).sort());
  });

  it.each(awsSamples.map((sample) => [sample.file, sample] as const))('routes %s to the rule of the handler that acts on it', async (file, sample) => {
    const matched = await matcher.matchingRules(sample.event);

    expect(matched).toEqual(AWS_EXPECTED[file]);
  });
});
