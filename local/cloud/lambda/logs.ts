import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/**
 * Per-function log files (<logDir>/<LogicalId>.log, one run each), what CloudWatch Logs holds for a deployed
 * function: the functions' own JSON lines plus the platform lines the local Lambda writes. Output
 * of several workers of one function is split into whole lines, so lines never interleave.
 */
export class FunctionLogs {
  private readonly files = new Map<string, WriteStream>();
  private closed = false;

  constructor(
    readonly logDir: string,
    /** Echo every function's lines (true) or those of the named functions (logical ids). */
    private readonly echo: boolean | readonly string[] = false,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  path(logicalId: string): string {
    return join(this.logDir, `${logicalId}.log`);
  }

  private file(logicalId: string): WriteStream {
    let file = this.files.get(logicalId);
    if (file === undefined) {
      // A run's log holds that run only: the first line of a run truncates what an earlier one left.
      file = createWriteStream(this.path(logicalId), { flags: 'w' });
      this.files.set(logicalId, file);
    }
    return file;
  }

  line(logicalId: string, text: string): void {
    // Workers terminated by stop() may still flush a last line; it has nowhere to go.
    if (this.closed) return;
    this.file(logicalId).write(`${text}\n`);
    if (this.echo === true || (Array.isArray(this.echo) && this.echo.includes(logicalId))) process.stderr.write(`[${logicalId}] ${text}\n`);
  }

  /** Platform lines in the shape Lambda's JSON log format uses (`type: platform.*`). */
  platform(logicalId: string, type: string, record: Record<string, unknown>): void {
    this.line(logicalId, JSON.stringify({ time: new Date().toISOString(), type, record }));
  }

  attach(logicalId: string, stream: Readable | null | undefined): void {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const text of lines) this.line(logicalId, text);
    });
    stream.on('end', () => {
      if (partial !== '') this.line(logicalId, partial);
      partial = '';
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing = [...this.files.values()].map((file) => new Promise<void>((resolve) => file.end(() => resolve())));
    this.files.clear();
    await Promise.all(closing);
  }
}
