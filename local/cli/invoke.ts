import { readFileSync } from 'node:fs';
import { loadTemplate, resourcesOfType } from '../cloud/stack/template.js';
import { Rehearsal } from '../rehearsal/rehearsal.js';
import { exitOnSignals, fail } from './cli-kit.js';

/**
 * npm run invoke -- <FunctionLogicalId> events/<file>.json
 * The `sam local invoke` equivalent: one synchronous invocation of the function's real bundle,
 * with its environment from template.yaml, against a fresh local cloud (ECS answered by the twin).
 */
const USAGE = 'usage: npm run invoke -- <FunctionLogicalId> <event.json>   e.g. npm run invoke -- DrainControlFunction events/drain-control-drain.json';

async function main(): Promise<number> {
  const [logicalId, eventFile] = process.argv.slice(2);
  if (!logicalId || !eventFile) throw new Error(USAGE);
  // Told before the local cloud starts: a misspelt name should not cost its start-up.
  const functions = resourcesOfType(loadTemplate(), 'AWS::Serverless::Function');
  if (!functions.includes(logicalId)) throw new Error(`template.yaml has no function ${logicalId}; functions: ${functions.join(', ')}`);
  const event = JSON.parse(readFileSync(eventFile, 'utf8')) as unknown;
  // Scale 1: the function runs with the template's own parameter values, as sam local invoke would.
  const rehearsal = await Rehearsal.start({ scale: 1, echoLogs: true });
  exitOnSignals(() => rehearsal.stop());
  try {
    const result = await rehearsal.cloud.invoke(logicalId, event);
    console.log(JSON.stringify(result.payload, null, 2));
    if (result.functionError) {
      console.error(`function error (${result.functionError})`);
      return 1;
    }
    return 0;
  } finally {
    await rehearsal.stop();
  }
}

main().then((code) => process.exit(code), fail);
