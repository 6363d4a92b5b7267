import { describe, expect, it } from 'vitest';
import { isClusterInScope, loadConfig } from '../../../functions/shared/config.js';

const CLUSTER = 'arn:aws:ecs:us-east-1:111122223333:cluster/sessions';

describe('loadConfig', () => {
  it('reads the template environment and applies defaults', () => {
    const config = loadConfig({ TABLE_NAME: 'Registry', CLUSTER_ARNS: ` ${CLUSTER} ,arn:aws:ecs:us-east-1:111122223333:cluster/other,` });

    expect(config).toEqual({
      tableName: 'Registry',
      stateMachineArn: '',
      eventBusName: 'default',
      clusterArns: [CLUSTER, 'arn:aws:ecs:us-east-1:111122223333:cluster/other'],
      defaultDrainSeconds: 3600,
      maxDrainSeconds: 28800,
      heartbeatTimeoutSeconds: 120,
      protectionMinutes: 240,
      protectionRenewBeforeSeconds: 7200,
      fargateSpotWarningSeconds: 120,
      targetHealthRecheckSeconds: 10,
      rebalanceAction: 'drain',
    });
  });

  it('names the variable that is missing or malformed', () => {
    expect(() => loadConfig({})).toThrow('environment variable TABLE_NAME is required');
    expect(() => loadConfig({ TABLE_NAME: 't', PROTECTION_MINUTES: '2881' })).toThrow(
      'environment variable PROTECTION_MINUTES must be an integer from 1 to 2880, got "2881"',
    );
    expect(() => loadConfig({ TABLE_NAME: 't', DEFAULT_DRAIN_SECONDS: 'soon' })).toThrow(/DEFAULT_DRAIN_SECONDS/);
    expect(() => loadConfig({ TABLE_NAME: 't', PROTECTION_MINUTES: '60', PROTECTION_RENEW_BEFORE_SECONDS: '3600' })).toThrow(
      'PROTECTION_RENEW_BEFORE_SECONDS must be less than PROTECTION_MINUTES x 60: protection would be renewed on every run',
    );
    expect(() => loadConfig({ TABLE_NAME: 't', DEFAULT_DRAIN_SECONDS: '7200', MAX_DRAIN_SECONDS: '3600' })).toThrow(
      'DEFAULT_DRAIN_SECONDS must not exceed MAX_DRAIN_SECONDS',
    );
  });

  it('reads what a rebalance recommendation does, and refuses anything but drain or cordon-only', () => {
    expect(loadConfig({ TABLE_NAME: 't', REBALANCE_ACTION: 'cordon-only' }).rebalanceAction).toBe('cordon-only');
    expect(() => loadConfig({ TABLE_NAME: 't', REBALANCE_ACTION: 'cordon' })).toThrow('environment variable REBALANCE_ACTION must be one of drain, cordon-only, got "cordon"');
  });

  it('keeps clusters that are not listed out of scope', () => {
    const config = loadConfig({ TABLE_NAME: 't', CLUSTER_ARNS: CLUSTER });

    expect(isClusterInScope(config, CLUSTER)).toBe(true);
    expect(isClusterInScope(config, 'arn:aws:ecs:us-east-1:111122223333:cluster/session')).toBe(false);
  });
});
