/**
 * local/: the local cloud (AWS stand-ins that run template.yaml's functions), the ECS twin, the
 * simulated workload and real task processes, and the rehearsals and scenarios built on them. May
 * import functions/ (the registry's model, the named errors) and @ecs-session-drain/agent; nothing
 * outside local/ imports its files by path.
 *
 * This module is the package's one entry point (@ecs-session-drain/local): what test/integration,
 * test/e2e, bench and test/support may use. Every export is named on purpose; what a consumer needs
 * beyond them is added here, never by reaching into a file.
 */

// The local cloud: moto, the gateway, the functions in worker threads, event delivery, IAM.
export { LOCAL_ACCOUNT_ID, localClusterArns, startLocalCloud, type LocalCloud, type LocalCloudOptions } from './cloud/local-cloud.js';
export type { InvocationRecord } from './cloud/lambda/host.js';
export type { ArmedFault, InvocationInfo } from './cloud/lambda/fault-injection.js';
export { MotoUnavailableError } from './cloud/errors.js';
export { sleep } from './cloud/timing.js';
// moto alone, for tests against a bare moto server (test/support/moto-server.ts).
export { freePort, pythonCommand, startMoto, type MotoProcess } from './cloud/moto.js';
// template.yaml as `sam deploy` reads it.
export { loadTemplate, resolvedEventPattern, resourcesOfType, TEMPLATE_PATH, TemplateResolver, withTranslatedRules } from './cloud/stack/template.js';
export { translateTemplate } from './cloud/stack/sam-translation.js';

// The ECS twin.
export * from './twin/index.js';
export type { FargateCapacityProvider, LaunchType } from './twin/model.js';

// Rehearsals: the local cloud, the twin and the workload together, and what scenarios read of them.
export { Rehearsal, type RehearsalOptions, WaitTimeoutError } from './rehearsal/rehearsal.js';
export { deploymentState, liveTasks, runningTasks, service, serviceTasks } from './rehearsal/twin-queries.js';
export { executionHistory, listDrainExecutions, stateByState, type DrainExecution, type StateVisit } from './rehearsal/executions.js';
export { arrivalsPerMinuteFor, SeededRandom, type DurationModel } from './random.js';
export type { SessionRecord } from './workload/session-ledger.js';
export type { SessionWorkload } from './workload/workload.js';
export {
  endings,
  inService,
  openClientSessions,
  processMode,
  startProcessService,
  taskOutcomes,
  type ProcessServiceSpec,
} from './scenarios/process-sessions.js';
export { deploySideBySide, MANAGED, UNMANAGED } from './scenarios/process-demo.js';
// The web console of `npm run local` and `npm run demo`, and the demo's drain timeline picture.
export { serveConsole, startConsole, type ConsoleOptions, type LocalConsole } from './console/server.js';
export type { ConsoleState, SessionTotals } from './console/console-state.js';
export { TIMELINE_FILE, writeDrainTimeline } from './console/drain-timeline.js';
// The command-line kit of the local commands, for bench's command.
export { fail } from './cli/cli-kit.js';
export { anyText, commandLine, listOf, numberAtMost, positiveWholeNumber } from './cli/command-line.js';
