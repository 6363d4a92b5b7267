import { createHash } from 'node:crypto';
import type { TwinTask } from './model.js';

/*
 * awsvpc networking: every Fargate task gets an elastic network interface with a private IPv4
 * address in a subnet of its Availability Zone, which ECS reports as the task's attachment.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attachment.html ("For elastic
 * network interfaces, this includes the network interface ID, the MAC address, the subnet ID, and
 * the private IPv4 address"), and the task state change samples in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html (type "eni",
 * details subnetId, networkInterfaceId, macAddress, privateDnsName, privateIPv4Address). DescribeTasks
 * names the type "ElasticNetworkInterface". While PROVISIONING the attachment is PRECREATED and
 * carries the subnet only; ATTACHED from PENDING on (also while DEPROVISIONING); DELETED once STOPPED.
 * EC2 tasks use their task definition's networkMode (bridge when it names none, as ECS does on
 * Linux): awsvpc gets an interface as on Fargate; bridge and host mode tasks get none, and the
 * ports they bind on their container instance are reported as the container's networkBindings
 * once RUNNING (API_NetworkBinding): a dynamic host port from the ephemeral range in bridge mode
 * (the container definition's hostPort 0), the container port itself in host mode.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/networking-networkmode-bridge.html
 *
 * Addresses are derived from the task id (seeded ids give the same addresses run after run): the
 * twin's VPC is 10.0.0.0/16 with one /18 subnet per Availability Zone (a: 10.0.0.0/18,
 * b: 10.0.64.0/18, c: 10.0.128.0/18); the first four and the last address of a subnet are
 * reserved, as in any VPC subnet, and no two live tasks share an address.
 */

export type NetworkMode = 'awsvpc' | 'bridge' | 'host';

/** A container port bound on the task's container instance. */
export interface NetworkBinding {
  containerPort: number;
  hostPort: number;
}

export interface TaskNetworkInterface {
  attachmentId: string;
  networkInterfaceId: string;
  subnetId: string;
  macAddress: string;
  privateIPv4Address: string;
  privateDnsName: string;
}

const SUBNET_SIZE = 16384;
const EPHEMERAL_PORTS = { first: 32768, count: 61000 - 32768 };
const FIRST_USABLE = 4;

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function zoneIndex(availabilityZone: string): number {
  return Math.max(0, 'abc'.indexOf(availabilityZone.slice(-1)));
}

export function subnetIdOf(availabilityZone: string): string {
  return `subnet-${digest(`subnet:${availabilityZone}`).slice(0, 17)}`;
}

/** EC2's private DNS name for an address: ip-10-0-1-2.ec2.internal in us-east-1, ip-10-0-1-2.<region>.compute.internal elsewhere. */
export function privateDnsNameOf(address: string, region: string): string {
  const host = `ip-${address.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/**
 * The network interface of a new awsvpc task. `inUse`: the addresses live tasks hold; the task's
 * hashed address is probed forward until a free one is found.
 */
export function allocateNetworkInterface(taskId: string, availabilityZone: string, region: string, inUse: ReadonlySet<string>): TaskNetworkInterface {
  const hash = digest(`eni:${taskId}`);
  const usable = SUBNET_SIZE - FIRST_USABLE - 1;
  const base = zoneIndex(availabilityZone) * SUBNET_SIZE;
  const offset = parseInt(hash.slice(0, 8), 16) % usable;
  let address = '';
  for (let probe = 0; probe < usable; probe += 1) {
    const host = base + FIRST_USABLE + ((offset + probe) % usable);
    address = `10.0.${Math.floor(host / 256)}.${host % 256}`;
    if (!inUse.has(address)) break;
  }
  const mac = ['0e', ...(hash.slice(8, 18).match(/../g) ?? [])].join(':');
  const uuid = hash.slice(18, 50);
  return {
    attachmentId: `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-4${uuid.slice(13, 16)}-8${uuid.slice(17, 20)}-${uuid.slice(20, 32)}`,
    networkInterfaceId: `eni-${digest(`interface:${taskId}`).slice(0, 17)}`,
    subnetId: subnetIdOf(availabilityZone),
    macAddress: mac,
    privateIPv4Address: address,
    privateDnsName: privateDnsNameOf(address, region),
  };
}

/** Addresses held by tasks that have not STOPPED. */
export function addressesInUse(tasks: Iterable<TwinTask>): Set<string> {
  const used = new Set<string>();
  for (const task of tasks) if (task.networkInterface !== undefined && task.lastStatus !== 'STOPPED') used.add(task.networkInterface.privateIPv4Address);
  return used;
}

function attachmentStatus(task: TwinTask): string {
  if (task.lastStatus === 'PROVISIONING') return 'PRECREATED';
  return task.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED';
}

/**
 * The task's attachments: `type` is "ElasticNetworkInterface" in DescribeTasks and "eni" in task
 * state change events, as AWS reports them.
 */
export function taskAttachments(task: TwinTask, type: 'ElasticNetworkInterface' | 'eni'): Record<string, unknown>[] {
  const eni = task.networkInterface;
  if (eni === undefined) return [];
  const precreated = task.lastStatus === 'PROVISIONING';
  const details = precreated
    ? [{ name: 'subnetId', value: eni.subnetId }]
    : [
        { name: 'subnetId', value: eni.subnetId },
        { name: 'networkInterfaceId', value: eni.networkInterfaceId },
        { name: 'macAddress', value: eni.macAddress },
        { name: 'privateDnsName', value: eni.privateDnsName },
        { name: 'privateIPv4Address', value: eni.privateIPv4Address },
      ];
  return [{ id: eni.attachmentId, type, status: attachmentStatus(task), details }];
}

/** A container's networkInterfaces (API_NetworkInterface): empty until the interface is attached. */
export function containerNetworkInterfaces(task: TwinTask): Record<string, unknown>[] | undefined {
  const eni = task.networkInterface;
  if (eni === undefined) return undefined;
  return task.lastStatus === 'PROVISIONING' ? [] : [{ attachmentId: eni.attachmentId, privateIpv4Address: eni.privateIPv4Address }];
}

/** The network mode a task runs in: Fargate is always awsvpc; EC2 takes the task definition's, bridge when it names none. */
export function networkModeOf(launchType: 'FARGATE' | 'EC2', registeredMode: unknown): NetworkMode {
  if (launchType === 'FARGATE') return 'awsvpc';
  return registeredMode === 'awsvpc' || registeredMode === 'host' ? registeredMode : 'bridge';
}

/**
 * The ports a bridge or host mode task binds on its instance: bridge maps each container port to a
 * dynamic host port (derived from the task id, so seeded runs bind the same ports), host binds the
 * container port itself.
 */
export function bindPorts(taskId: string, mode: Exclude<NetworkMode, 'awsvpc'>, containerPorts: readonly number[]): NetworkBinding[] {
  return [...new Set(containerPorts)].map((containerPort) => ({
    containerPort,
    hostPort: mode === 'host' ? containerPort : EPHEMERAL_PORTS.first + (parseInt(digest(`port:${taskId}:${containerPort}`).slice(0, 8), 16) % EPHEMERAL_PORTS.count),
  }));
}

/** A container's networkBindings as DescribeTasks and task state change events report them. */
export function containerNetworkBindings(task: TwinTask): Record<string, unknown>[] | undefined {
  return task.networkBindings?.map((binding) => ({ bindIP: '0.0.0.0', containerPort: binding.containerPort, hostPort: binding.hostPort, protocol: 'tcp' }));
}
