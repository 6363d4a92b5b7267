import { clientException } from './errors.js';
import { CONTAINER_NAME } from './events.js';
import { TASK_DEFINITION_ARN, taskDefinitionFamily } from './model.js';

/*
 * The task definition revisions the twin knows, as RegisterTaskDefinition leaves them: one record
 * per revision, numbered per family from 1. A scenario's revisions (createService, deploy, runTask
 * with a full ARN) count as registered before it started; they carry no body of their own and are
 * described with the twin's one container (CONTAINER_NAME), which is what their tasks report.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html
 */

export interface TaskDefinitionRecord {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  /** The members RegisterTaskDefinition was called with (containerDefinitions, cpu, memory, networkMode, ...), family excluded. */
  body: Record<string, unknown>;
  registeredAt: Date;
  tags: { key: string; value: string }[];
}

/** "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed." (API_RegisterTaskDefinition, family) */
export const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;

export class TaskDefinitionRegistry {
  private readonly byArn = new Map<string, TaskDefinitionRecord>();

  constructor(private readonly arnPrefix: string) {}

  /** A revision a scenario names by ARN: known from now on, with the body the twin's tasks show. */
  remember(arn: string, now: Date): void {
    if (!TASK_DEFINITION_ARN.test(arn)) throw clientException(`Invalid revision number. Number: ${arn}`);
    if (this.byArn.has(arn)) return;
    const revision = Number(arn.split(':').pop());
    this.byArn.set(arn, {
      taskDefinitionArn: arn,
      family: taskDefinitionFamily(arn),
      revision,
      body: { containerDefinitions: [{ name: CONTAINER_NAME, essential: true }] },
      registeredAt: now,
      tags: [],
    });
  }

  /** The next revision of the family: one past the highest the twin knows, whoever registered it. */
  register(family: string, body: Record<string, unknown>, tags: { key: string; value: string }[], now: Date): TaskDefinitionRecord {
    const revision = Math.max(0, ...this.revisionsOf(family).map((record) => record.revision)) + 1;
    const record: TaskDefinitionRecord = { taskDefinitionArn: `${this.arnPrefix}:task-definition/${family}:${revision}`, family, revision, body, registeredAt: now, tags };
    this.byArn.set(record.taskDefinitionArn, record);
    return record;
  }

  /**
   * A reference as ECS takes it: a full ARN, "family:revision", or a family alone (its latest
   * ACTIVE revision). Undefined when no such revision was registered.
   */
  find(ref: string): TaskDefinitionRecord | undefined {
    if (ref.startsWith('arn:')) return this.byArn.get(ref);
    const match = /^([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(ref);
    if (match === null) return undefined;
    const revisions = this.revisionsOf(match[1] as string);
    if (match[2] === undefined) return revisions.at(-1);
    return revisions.find((record) => record.revision === Number(match[2]));
  }

  /** Every revision of this account and Region, by family name, then revision (ListTaskDefinitions' ASC order). */
  all(): TaskDefinitionRecord[] {
    return [...this.byArn.values()]
      .filter((record) => record.taskDefinitionArn.startsWith(`${this.arnPrefix}:`))
      .sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : a.revision - b.revision));
  }

  private revisionsOf(family: string): TaskDefinitionRecord[] {
    return this.all().filter((record) => record.family === family);
  }
}
