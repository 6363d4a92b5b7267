import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { taskIdOf } from '../../functions/registry/model.js';
import { definedOnly } from '../../functions/shared/optional.js';
import type { Rehearsal } from '../rehearsal/rehearsal.js';
import type { TwinTask } from '../twin/index.js';
import { type DrainView, DrainViews } from './drain-views.js';
import { type TimelineRow, timelineSvg } from './timeline.js';

/** The picture's file name in the run's log folder, next to the functions' logs. */
export const TIMELINE_FILE = 'drain-timeline.svg';

/** One drain's row: its states from the execution's history, its task's life from the twin. */
export function timelineRow(drain: DrainView, task: TwinTask | undefined): TimelineRow {
  return {
    task: taskIdOf(drain.taskArn ?? drain.name).slice(0, 8),
    outcome: drain.outcome ?? drain.status,
    visits: drain.visits.map((visit) => ({
      state: visit.state,
      start: visit.enteredAt,
      ...definedOnly({ end: visit.leftAt, ended: visit.status === 'failed' || visit.status === 'caught' ? visit.status : undefined }),
    })),
    ...definedOnly({
      reason: drain.reason,
      sessionsAtStart: drain.sessionsAtStart,
      taskStarted: task?.startedAt?.getTime(),
      stopRequested: task?.stoppingAt?.getTime(),
      taskStopped: task?.stoppedAt?.getTime(),
    }),
  };
}

/**
 * Writes the rehearsal's drain timeline (every drain so far, oldest first, from `origin` to now)
 * into its log folder and returns the file's path.
 */
export async function writeDrainTimeline(rehearsal: Rehearsal, options: { origin: number; title: string }): Promise<string> {
  const drains = (await new DrainViews(rehearsal.sfn, rehearsal.stateMachineArn).read()).sort((a, b) => Date.parse(a.startDate ?? '') - Date.parse(b.startDate ?? ''));
  const tasks = new Map(rehearsal.twin.snapshot().tasks.map((task) => [task.taskArn, task]));
  const rows = drains.map((drain) => timelineRow(drain, tasks.get(drain.taskArn ?? '')));
  const path = join(rehearsal.cloud.logDir, TIMELINE_FILE);
  writeFileSync(path, timelineSvg({ title: options.title, origin: options.origin, end: Date.now(), scale: rehearsal.clock.scale, rows }));
  return path;
}
