import type { RegistryWriter } from '@ecs-session-drain/agent/registry';
import { SessionLedger } from '../../workload/session-ledger.js';
import { SimulatedApps, type SimulatedAppsOptions } from '../../workload/simulated-apps.js';
import type { EcsTwin } from '../../twin/index.js';
import { startTwin, type TwinHarness } from './twin/support.js';

/*
 * A twin whose tasks run the simulated apps (every runtime call goes to them, and an app that
 * exits ends its container), for tests of what the apps do. Without a writer the apps register
 * nothing and need no registry.
 */

export type AppsHarness = TwinHarness & { apps: SimulatedApps; ledger: SessionLedger };

export function twinWithApps(options: Partial<Omit<SimulatedAppsOptions, 'clock' | 'ledger' | 'targetHealth'>> & { routeByTargetHealth?: boolean } = {}): AppsHarness {
  const { routeByTargetHealth = false, writer, ...appOptions } = options;
  const ledger = new SessionLedger();
  let apps: SimulatedApps | undefined;
  const harness = startTwin({
    runtime: {
      started: (task) => apps?.started(task),
      sigterm: (task, info) => apps?.sigterm(task, info),
      killed: (task, cause) => apps?.killed(task, cause),
      deregistering: (task, info) => apps?.deregistering(task, info),
      deregistered: (task) => apps?.deregistered(task),
    },
  });
  const twin: EcsTwin = harness.twin;
  const built = new SimulatedApps({
    writer: writer ?? ({} as RegistryWriter),
    clock: harness.clock,
    ledger,
    ...(writer === undefined ? { registers: () => false } : {}),
    ...(routeByTargetHealth ? { targetHealth: (task) => twin.targetHealthState(task.taskArn) } : {}),
    ...appOptions,
  });
  apps = built;
  built.attach((taskArn) => twin.containerExited(taskArn, 0));
  return { ...harness, apps: built, ledger };
}
