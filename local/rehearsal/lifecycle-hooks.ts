/** ECS's side of a deployment lifecycle hook in the local cloud: Lambda Invoke of the hook target through the gateway, run by the function host's real bundle. */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ClientConfig } from '../cloud/local-cloud.js';

export interface HookInvoker {
  /** EcsTwinOptions.invokeHook: the function's result, parsed; rejects when the function fails (X-Amz-Function-Error). */
  invoke(functionArn: string, payload: unknown): Promise<unknown>;
  destroy(): void;
}

/**
 * ECS invokes the hook with the hook's roleArn (lambda:InvokeFunction, trusted by
 * ecs.amazonaws.com: blue-green-permissions.html). The local cloud has no such role for a
 * product hook yet, so the invoke is signed with the local cloud's own credentials: the call
 * still goes through the gateway's Lambda Invoke route, its IAM check and the function host.
 * The hook target ARN must name a function of the local stack.
 */
export function hookInvoker(config: ClientConfig): HookInvoker {
  const client = new LambdaClient({ ...config, maxAttempts: 1 });
  return {
    async invoke(functionArn, payload) {
      const output = await client.send(new InvokeCommand({ FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }));
      const text = output.Payload === undefined ? '' : Buffer.from(output.Payload).toString('utf8');
      if (output.FunctionError !== undefined) throw new Error(`${functionArn} failed (${output.FunctionError}): ${text.slice(0, 500)}`);
      return text === '' ? null : (JSON.parse(text) as unknown);
    },
    destroy: () => client.destroy(),
  };
}
