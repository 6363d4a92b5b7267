import { readFileSync } from 'node:fs';
import { loadTemplate, resourcesOfType } from '../cloud/stack/template.js';
import { localClusterArns } from '../cloud/local-cloud.js';
import { scaledParameters } from '../rehearsal/parameters.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { exitOnSignals, fail } from './cli-kit.js';
import { anyText, commandLine, UsageError } from './command-line.js';
import { createClustersInScope, prepareSample, sampleRefs } from './invoke-setup.js';

/**
 * npm run invoke -- <FunctionLogicalId> events/<file>.json
 * The `sam local invoke` equivalent: one synchronous invocation of the function's real bundle,
 * with its environment from template.yaml, against a fresh local cloud (ECS answered by the twin),
 * after making real what the sample refers to (invoke-setup.ts).
 */
const template = loadTemplate();
const functions = resourcesOfType(template, 'AWS::Serverless::Function');
const parameterNames = Object.keys(template.Parameters ?? {});

const { values, positionals } = commandLine({
  command: 'npm run invoke --',
  positionals: { usage: '<FunctionLogicalId> <event.json>', min: 2, max: 2 },
  summary: [
    "Runs one function of template.yaml on an event file, as `sam local invoke -e` does: the function's",
    "real bundle, its environment from the template, against a fresh local cloud. The task and the drain",
    'the event names are made real first (the task runs in the ECS twin and is registered).',
  ].join('\n'),
  flags: {
    'parameter-overrides': {
      type: 'string',
      placeholder: 'Key=Value ...',
      check: anyText,
      description: `template parameters, space-separated as for sam (${parameterNames.join(', ')})`,
    },
  },
  epilog: [`functions: ${functions.join(', ')}`, 'example: npm run invoke -- DrainControlFunction events/drain-control-drain.json'],
});

function parameterOverrides(raw: string | undefined): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const pair of (raw ?? '').split(/\s+/).filter(Boolean)) {
    const [key, ...rest] = pair.split('=');
    if (key === undefined || rest.length === 0 || !parameterNames.includes(key)) {
      throw new UsageError(`--parameter-overrides: ${JSON.stringify(pair)} is not Key=Value of a template parameter (${parameterNames.join(', ')})`);
    }
    overrides[key] = rest.join('=');
  }
  return overrides;
}

function readEvent(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the event file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`the event file ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

async function main(): Promise<number> {
  const [logicalId = '', eventFile = ''] = positionals;
  // Told before the local cloud starts: a misspelt name should not cost its start-up.
  if (!functions.includes(logicalId)) throw new UsageError(`template.yaml has no function ${logicalId}; functions: ${functions.join(', ')}`);
  const event = readEvent(eventFile);
  const overrides = parameterOverrides(values['parameter-overrides']);
  // As with sam local invoke, only the invoked function runs (and the steps that prepare its
  // sample): no rule, stream or schedule invokes another one. The twin runs fast (tasks start in
  // seconds); the function keeps the template's own parameter values.
  // The tasks of the clusters in scope register in the registry, as the stack's services' tasks do.
  const inScope = (overrides.ClusterArns ?? localClusterArns(['sessions']).join(',')).split(',');
  const clusterNames = inScope.map((arn) => arn.split('/').pop() ?? '');
  const rehearsal = await Rehearsal.start({
    scale: 0.02,
    clusterNames,
    echoLogs: [logicalId],
    parameters: { ...scaledParameters(template, 1), ...overrides },
    eventSources: false,
    // sam local invoke runs the function with the caller's credentials, not its role.
    iam: 'off',
  });
  exitOnSignals(() => rehearsal.stop());
  try {
    const { accountId, region } = rehearsal.cloud.stack;
    const refs = sampleRefs(event, { accountId, region });
    const foreign = refs.clusterArns.filter((clusterArn) => !inScope.includes(clusterArn));
    createClustersInScope(rehearsal, inScope);
    await prepareSample(rehearsal, logicalId, event, refs, inScope, (line) => console.error(line));
    const result = await rehearsal.cloud.invoke(logicalId, event);
    console.log(JSON.stringify(result.payload, null, 2));
    for (const clusterArn of foreign) {
      console.error(`note: the event's cluster ${clusterArn} is not in ClusterArns (${inScope.join(',')}), so the function treats it as out of scope; to act on it: --parameter-overrides ClusterArns=${clusterArn}`);
    }
    if (result.functionError) {
      console.error(`function error (${result.functionError})`);
      return 1;
    }
    return 0;
  } finally {
    await rehearsal.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (!(error instanceof UsageError)) fail(error);
    console.error(`npm run invoke: ${error.message}`);
    process.exit(2);
  },
);
