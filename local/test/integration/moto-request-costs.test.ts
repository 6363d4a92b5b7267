import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pythonCommand } from '../../cloud/moto.js';

/**
 * local/moto_request_costs.py does once what moto 5.2.1's server did on every request: finding a
 * request's backend, listing botocore's service directories to load a model, and building a JSONPath
 * parser for each path of each event and workflow state. These run the
 * launcher's fixes in a Python process and count the work underneath.
 */
function runPython(lines: readonly string[]): string {
  const run = spawnSync(
    pythonCommand(),
    ['-c', ['import sys', `sys.path.insert(0, ${JSON.stringify(fileURLToPath(new URL('../..', import.meta.url)))})`, 'import moto_launcher', 'moto_launcher.install_fixes()', ...lines].join('\n')],
    { encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

describe("moto's server with the launcher's fixes", () => {
  it('lists botocore\'s services once when twenty requests for an unloaded model arrive together', () => {
    const output = runPython([
      'import threading, moto_request_costs',
      'from moto.core.utils import get_service_model',
      'listings = 0',
      'original = type(moto_request_costs._loader).list_available_services',
      'def counted(self, *args, **kwargs):',
      '    global listings; listings += 1',
      '    return original(self, *args, **kwargs)',
      'type(moto_request_costs._loader).list_available_services = counted',
      'start = threading.Barrier(20)',
      'def request():',
      '    start.wait()',
      '    get_service_model("sts")',
      'threads = [threading.Thread(target=request) for _ in range(20)]',
      '[thread.start() for thread in threads]; [thread.join() for thread in threads]',
      'print(listings, get_service_model("sts").service_name)',
    ]);

    // botocore's own instance cache keeps a loader's listing, so one shared loader lists once.
    expect(output).toBe('1 sts');
  });

  it('finds a host\'s backend once and answers the same backend afterwards', () => {
    const output = runPython([
      'from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app',
      'from moto import backends',
      'calls = 0',
      'original = backends.list_of_moto_modules',
      'def counted():',
      '    global calls; calls += 1',
      '    return original()',
      'backends.list_of_moto_modules = counted',
      'dispatcher = DomainDispatcherApplication(create_backend_app)',
      'found = [dispatcher.get_backend_for_host(host) for host in ["dynamodb.us-east-1.amazonaws.com", "sts.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com"]]',
      'print(calls, ",".join(found))',
    ]);

    expect(output).toBe('2 dynamodb,sts,dynamodb');
  });

  it('builds a JSONPath parser once per path, for the workflow interpreter and for EventBridge, with the same answers', () => {
    const output = runPython([
      'from jsonpath_ng.parser import JsonPathParser',
      'built = 0',
      'original = JsonPathParser.__init__',
      'def counted(self, *args, **kwargs):',
      '    global built; built += 1',
      '    return original(self, *args, **kwargs)',
      'JsonPathParser.__init__ = counted',
      'from moto.stepfunctions.parser.asl.utils.json_path import extract_json',
      'from moto.stepfunctions.parser.asl.component.common.path import result_path',
      // moto's EventBridge imports parse inside its input transformer, at each event.
      'from jsonpath_ng.ext import parse as events_parse',
      'counts = [extract_json("$.detail.sessionCount", {"detail": {"sessionCount": n}}) for n in range(20)]',
      'sources = [events_parse("$.source").find({"source": "aws.ecs"})[0].value for _ in range(20)]',
      'merged = [result_path.parse("$.drain").update_or_create({"taskArn": "t"}, {"outcome": n}) for n in range(20)]',
      'print(built, sum(counts), set(sources), merged[-1])',
    ]);

    expect(output).toBe("3 190 {'aws.ecs'} {'taskArn': 't', 'drain': {'outcome': 19}}");
  });
});
