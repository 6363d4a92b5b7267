import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../cloud/clock.js';
import { LoadBalancer } from '../../../processes/load-balancer.js';
import { waitFor } from '../twin/support.js';

/** A health endpoint whose answer the test flips. */
interface FakeTarget {
  server: Server;
  port: number;
  status: number;
}

const servers: Server[] = [];
const balancers: LoadBalancer[] = [];
afterEach(async () => {
  for (const balancer of balancers.splice(0)) balancer.stop();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function fakeTarget(status: number): Promise<FakeTarget> {
  const target = { status } as FakeTarget;
  target.server = createServer((request, response) => {
    response.writeHead(request.url === '/healthz' ? target.status : 404).end();
  });
  await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
  target.port = (target.server.address() as AddressInfo).port;
  servers.push(target.server);
  return target;
}

function balancer(targetHealth?: (taskArn: string) => string | undefined): LoadBalancer {
  // One scenario second = 1 ms: checks every 10 ms, healthy after 2 passes, out after 2 failures.
  const created = new LoadBalancer({ clock: new ScaledClock(0.001), intervalSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 2, minIntervalMs: 10, ...(targetHealth ? { targetHealth } : {}) });
  balancers.push(created);
  return created;
}

describe('Load balancer in front of task processes', () => {
  it('sends new sessions only to targets that passed their health checks, fewest connections first', async () => {
    const [a, b, sick] = [await fakeTarget(200), await fakeTarget(200), await fakeTarget(503)];
    const lb = balancer();
    lb.register({ taskArn: 'a', port: a.port });
    lb.register({ taskArn: 'b', port: b.port });
    lb.register({ taskArn: 'sick', port: sick.port });
    await waitFor('both healthy targets', () => lb.snapshot().filter((target) => target.healthy).length === 2, 5000);

    lb.connectionOpened('a');
    const picked = lb.pick();

    expect(picked?.taskArn).toBe('b');
    expect(lb.snapshot().find((target) => target.taskArn === 'sick')?.healthy).toBe(false);
  });

  it('stops sending sessions to a target that starts failing its checks (a draining server answers 503)', async () => {
    const target = await fakeTarget(200);
    const lb = balancer();
    lb.register({ taskArn: 'draining', port: target.port });
    await waitFor('a healthy target', () => lb.pick(), 5000);

    target.status = 503;

    await waitFor('the target to be taken out', () => lb.pick() === undefined, 5000);
    expect(lb.snapshot()).toHaveLength(1);
  });

  it('deregisters a target whose process is gone', async () => {
    const target = await fakeTarget(200);
    const lb = balancer();
    lb.register({ taskArn: 'gone', port: target.port });
    await waitFor('a healthy target', () => lb.pick(), 5000);

    await new Promise((resolve) => target.server.close(resolve));

    await waitFor('the target to be deregistered', () => lb.snapshot().length === 0, 5000);
  });

  it('behind a twin load balancer, sends sessions to a target only once the twin reports it healthy, and not while its own probes fail', async () => {
    // prepare
    const [behind, plain] = [await fakeTarget(200), await fakeTarget(200)];
    const twinStates = new Map<string, string | undefined>([['behind', 'initial'], ['plain', undefined]]);
    const lb = balancer((taskArn) => twinStates.get(taskArn));
    lb.register({ taskArn: 'behind', port: behind.port });
    lb.register({ taskArn: 'plain', port: plain.port });
    await waitFor('the plain target healthy by its own checks', () => lb.pick()?.taskArn === 'plain', 5000);
    lb.connectionOpened('plain');

    // act
    const whileInitial = lb.pick((target) => target.taskArn === 'behind');
    twinStates.set('behind', 'healthy');
    const onceHealthy = lb.pick();
    behind.status = 503;
    await waitFor('the failing target out', () => lb.pick((target) => target.taskArn === 'behind') === undefined, 5000);
    behind.status = 200;
    await waitFor('the target back', () => lb.pick((target) => target.taskArn === 'behind'), 5000);
    twinStates.set('behind', 'draining');
    const whileDraining = lb.pick((target) => target.taskArn === 'behind');

    // assert
    expect(whileInitial).toBeUndefined();
    expect(onceHealthy?.taskArn).toBe('behind');
    expect(whileDraining).toBeUndefined();
    expect(lb.snapshot().map((target) => [target.taskArn, target.healthy])).toEqual([
      ['behind', false],
      ['plain', true],
    ]);
  });
});
