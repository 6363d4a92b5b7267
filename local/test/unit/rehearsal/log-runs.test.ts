import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneLogRuns } from '../../../rehearsal/log-runs.js';

const HOUR = 3_600_000;

function runFolder(root: string, name: string, writtenAt: number): void {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'Fn.log'), 'a line\n');
  const seconds = writtenAt / 1000;
  utimesSync(join(dir, 'Fn.log'), seconds, seconds);
  utimesSync(dir, seconds, seconds);
}

describe('the log folders of earlier runs', () => {
  it('keeps the newest runs and removes the older ones', () => {
    // prepare
    const root = mkdtempSync(join(tmpdir(), 'log-runs-'));
    const now = Date.now();
    for (const day of [1, 2, 3, 4, 5]) runFolder(root, `2026-12-0${day}T10-00-00-000Z-1-1`, now - (6 - day) * 24 * HOUR);

    // act
    const removed = pruneLogRuns(root, { keep: 2, busyMs: HOUR, now });

    // assert
    expect(removed.sort()).toEqual(['2026-12-01T10-00-00-000Z-1-1', '2026-12-02T10-00-00-000Z-1-1', '2026-12-03T10-00-00-000Z-1-1']);
    expect(readdirSync(root).sort()).toEqual(['2026-12-04T10-00-00-000Z-1-1', '2026-12-05T10-00-00-000Z-1-1']);
  });

  it('never removes a run still being written, however old its name', () => {
    // prepare
    const root = mkdtempSync(join(tmpdir(), 'log-runs-'));
    const now = Date.now();
    runFolder(root, '2026-12-01T10-00-00-000Z-1-1', now - 60_000);
    runFolder(root, '2026-12-02T10-00-00-000Z-1-1', now - 2 * HOUR);
    runFolder(root, '2026-12-03T10-00-00-000Z-1-1', now - 2 * HOUR);

    // act
    const removed = pruneLogRuns(root, { keep: 1, busyMs: 10 * 60_000, now });

    // assert
    expect(removed).toEqual(['2026-12-02T10-00-00-000Z-1-1']);
  });

  it('does nothing when there is no log folder yet', () => {
    expect(pruneLogRuns(join(tmpdir(), 'no-such-log-root-here'), { keep: 1, busyMs: 0 })).toEqual([]);
  });
});
