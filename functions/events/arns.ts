import { z } from 'zod';

/** Partitions ECS runs in: aws, aws-cn, aws-us-gov, aws-iso*, ... */
const PARTITION = 'arn:aws[a-z-]*';
const REGION = '[a-z0-9-]+';
const ACCOUNT = '\\d{12}';

export const clusterArnPattern = new RegExp(`^${PARTITION}:ecs:${REGION}:${ACCOUNT}:cluster/[A-Za-z0-9_-]{1,255}$`);
/** Both the long (task/<cluster>/<id>) and the retired short (task/<id>) format. */
export const taskArnPattern = new RegExp(`^${PARTITION}:ecs:${REGION}:${ACCOUNT}:task/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255}$`);
export const serviceArnPattern = new RegExp(`^${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255}$`);
export const containerInstanceArnPattern = new RegExp(
  `^${PARTITION}:ecs:${REGION}:${ACCOUNT}:container-instance/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255}$`,
);
export const ec2InstanceIdPattern = /^i-[0-9a-f]{8,17}$/;
/**
 * A Standard workflow execution: execution:<state machine>:<name>. Names are 1..80 characters
 * without whitespace, brackets, wildcards, control characters or "#%\^|~`$&,;:/.
 */
const SFN_NAME = '[^\\s<>{}\\[\\]?*"#%\\\\^|~`$&,;:/\\u0000-\\u001f\\u007f-\\u009f]{1,80}';
export const executionArnPattern = new RegExp(`^${PARTITION}:states:${REGION}:${ACCOUNT}:execution:${SFN_NAME}:${SFN_NAME}$`);

export const ClusterArn = z.string().regex(clusterArnPattern, 'not an ECS cluster ARN');
export const TaskArn = z.string().regex(taskArnPattern, 'not an ECS task ARN');
export const ServiceArn = z.string().regex(serviceArnPattern, 'not an ECS service ARN');
export const ContainerInstanceArn = z.string().regex(containerInstanceArnPattern, 'not an ECS container instance ARN');
export const Ec2InstanceId = z.string().regex(ec2InstanceIdPattern, 'not an EC2 instance id');
export const ExecutionArn = z.string().regex(executionArnPattern, 'not a Step Functions execution ARN');

/**
 * The cluster ARN a long-format service ARN belongs to:
 * arn:aws:ecs:eu-west-1:123456789012:service/my-cluster/my-svc -> arn:aws:ecs:eu-west-1:123456789012:cluster/my-cluster.
 * Short-format ARNs (service/<name>) do not name their cluster; they yield undefined.
 */
export function clusterArnOfService(serviceArn: string): string | undefined {
  const [prefix, resource] = splitResource(serviceArn);
  const path = resource.split('/');
  if (path.length !== 3 || path[0] !== 'service' || path[1] === undefined) return undefined;
  return `${prefix}:cluster/${path[1]}`;
}

function splitResource(arn: string): [string, string] {
  const parts = arn.split(':');
  return [parts.slice(0, 5).join(':'), parts.slice(5).join(':')];
}
