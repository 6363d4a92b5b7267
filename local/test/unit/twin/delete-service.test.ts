import { describe, expect, it } from 'vitest';
import { apiError, CLUSTER, runningOf, serviceSnapshot, startService, startTwin, tasksOf, waitFor } from './support.js';

/*
 * DeleteService as API_DeleteService documents it: a service scaled above 0 needs force; the
 * service goes DRAINING (gone from ListServices, still in DescribeServices) while its tasks stop,
 * then INACTIVE; its name is free again once INACTIVE; a deleted service cannot be updated
 * (ServiceNotActiveException).
 */

type Described = { services: { status: string; desiredCount: number; runningCount: number }[]; failures: unknown[] };

async function statusOf(harness: ReturnType<typeof startTwin>, name: string): Promise<string | undefined> {
  const described = (await harness.twin.api.handle('DescribeServices', { cluster: CLUSTER, services: [name] })) as Described;
  return described.services[0]?.status;
}

describe('DeleteService', () => {
  it('refuses a service scaled above 0 without force, and leaves it running', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });

    const refused = await apiError(harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'chat' }));

    expect(refused).toMatchObject({ name: 'InvalidParameterException', message: 'The service cannot be stopped while it is scaled above 0.', statusCode: 400 });
    expect(await statusOf(harness, 'chat')).toBe('ACTIVE');
    expect(runningOf(harness.twin, 'chat')).toHaveLength(2);
    expect(harness.runtime.sigterms).toEqual([]);
  });

  it('with force stops every task, protected ones too, starts none, and goes DRAINING then INACTIVE once the containers exited', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    const [protectedTask] = runningOf(harness.twin, 'chat');
    await harness.twin.api.handle('UpdateTaskProtection', { cluster: CLUSTER, tasks: [protectedTask?.taskArn], protectionEnabled: true, expiresInMinutes: 60 });

    const deleted = (await harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'chat', force: true })) as { service: { status: string; desiredCount: number } };
    const listedWhileDraining = await harness.twin.api.handle('ListServices', { cluster: CLUSTER });
    const describedWhileDraining = await statusOf(harness, 'chat');
    for (const { task } of harness.runtime.sigterms) harness.twin.containerExited(task.taskArn, 0);
    await waitFor('the service INACTIVE', () => serviceSnapshot(harness.twin, 'chat').status === 'INACTIVE');
    const describedOnceStopped = await statusOf(harness, 'chat');

    expect(deleted.service).toMatchObject({ status: 'DRAINING', desiredCount: 0 });
    expect(listedWhileDraining).toEqual({ serviceArns: [] });
    expect(describedWhileDraining).toBe('DRAINING');
    expect(describedOnceStopped).toBe('INACTIVE');
    expect(harness.runtime.sigterms.map(({ task }) => task.taskArn).sort()).toEqual(tasksOf(harness.twin, 'chat').map((task) => task.taskArn).sort());
    expect(harness.runtime.sigterms.map(({ task }) => task.taskArn)).toContain(protectedTask?.taskArn);
    expect(tasksOf(harness.twin, 'chat').map((task) => [task.desiredStatus, task.stopCode])).toEqual([
      ['STOPPED', 'ServiceSchedulerInitiated'],
      ['STOPPED', 'ServiceSchedulerInitiated'],
    ]);
    expect(serviceSnapshot(harness.twin, 'chat').runningCount).toBe(0);
  });

  it('answers DRAINING even when every app exits at once on SIGTERM, and is INACTIVE right after', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 2 });
    // An empty session server ends its process as soon as SIGTERM comes, within the StopTask that sent it.
    harness.runtime.sigterm = (task) => harness.twin.containerExited(task.taskArn, 0);

    const deleted = (await harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'chat', force: true })) as { service: { status: string } };
    await waitFor('the service INACTIVE', () => serviceSnapshot(harness.twin, 'chat').status === 'INACTIVE');

    expect(deleted.service.status).toBe('DRAINING');
    expect(tasksOf(harness.twin, 'chat').every((task) => task.desiredStatus === 'STOPPED')).toBe(true);
  });

  it('deletes a service scaled to 0 without force; its name is refused while DRAINING and free once INACTIVE', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', desiredCount: 0 });
    await harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'lobby', taskDefinition: 'chat:1', desiredCount: 1 });
    await waitFor('the lobby task running', () => runningOf(harness.twin, 'lobby').length === 1);
    await harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'lobby', desiredCount: 0 });

    await harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'lobby', force: false });
    const lobbyBusy = await apiError(harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'lobby', taskDefinition: 'chat:1', desiredCount: 1 }));
    await waitFor('the chat task stopped', () => tasksOf(harness.twin, 'chat').every((task) => task.lastStatus === 'STOPPED') || undefined);
    await harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'chat' });
    const chatStatus = await statusOf(harness, 'chat');
    const again = (await harness.twin.api.handle('CreateService', { cluster: CLUSTER, serviceName: 'chat', taskDefinition: 'chat:2', desiredCount: 1 })) as { service: { status: string } };
    await waitFor('the new chat task running', () => runningOf(harness.twin, 'chat').length === 1);

    expect(lobbyBusy).toMatchObject({ name: 'InvalidParameterException', message: 'Creation of service was not idempotent.' });
    expect(chatStatus).toBe('INACTIVE');
    expect(again.service.status).toBe('ACTIVE');
    expect(runningOf(harness.twin, 'chat').map((task) => task.taskDefinitionArn.split('/').pop())).toEqual(['chat:2']);
  });

  it('answers ServiceNotActiveException to UpdateService and DeleteService of a deleted service, ServiceNotFoundException and ClusterNotFoundException to unknown ones', async () => {
    const harness = startTwin();
    await startService(harness, { name: 'chat', desiredCount: 1 });
    await harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'chat', force: true });

    const update = await apiError(harness.twin.api.handle('UpdateService', { cluster: CLUSTER, service: 'chat', desiredCount: 2 }));
    const deleteAgain = await apiError(harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'chat', force: true }));
    const ghost = await apiError(harness.twin.api.handle('DeleteService', { cluster: CLUSTER, service: 'ghost' }));
    const nowhere = await apiError(harness.twin.api.handle('DeleteService', { cluster: 'nowhere', service: 'chat' }));
    const noName = await apiError(harness.twin.api.handle('DeleteService', { cluster: CLUSTER }));

    expect(update).toMatchObject({ name: 'ServiceNotActiveException', message: 'Service was not ACTIVE.', statusCode: 400 });
    expect(deleteAgain.name).toBe('ServiceNotActiveException');
    expect(ghost).toMatchObject({ name: 'ServiceNotFoundException', message: 'Service not found.' });
    expect(nowhere).toMatchObject({ name: 'ClusterNotFoundException' });
    expect(noName.name).toBe('InvalidParameterException');
    expect(serviceSnapshot(harness.twin, 'chat').desiredCount).toBe(0);
  });
});
