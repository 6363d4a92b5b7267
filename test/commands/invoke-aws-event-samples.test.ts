import { describe, expect, it } from 'vitest';
import { FUNCTION_OF, invokesEach, SAMPLES, samplesOf } from './samples.js';

describe('the samples in events/', () => {
  it('each name the function that handles them', () => {
    expect(SAMPLES.filter((file) => FUNCTION_OF[file] === undefined)).toEqual([]);
  });
});

invokesEach('npm run invoke on every AWS event sample in events/ (ECS, EC2, Auto Scaling, Health)', samplesOf('aws-events'));
