import { describe, expect, it } from 'vitest';
import { olderNodeWarning } from '../../../../cloud/lambda/node-version.js';

describe('the warning about running functions on an older Node', () => {
  it("names the functions' runtime and this Node when this Node is older", () => {
    expect(olderNodeWarning(['nodejs22.x', 'nodejs20.x'], '20.20.2')).toBe(
      "note: the functions declare nodejs22.x; the local cloud runs them on this machine's Node 20.20.2 (Node 22 rehearses Lambda more closely)",
    );
  });

  it('says nothing on the same or a newer Node, or for runtimes it does not know', () => {
    expect(olderNodeWarning(['nodejs22.x'], '22.1.0')).toBeUndefined();
    expect(olderNodeWarning(['nodejs22.x'], '24.0.0')).toBeUndefined();
    expect(olderNodeWarning(['python3.12'], '20.0.0')).toBeUndefined();
  });
});
