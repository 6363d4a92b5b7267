import { defineConfig } from 'vitest/config';

/*
 * Each project builds agent/dist first when it is stale (test/support/agent-dist-setup.ts): the code
 * under test imports the agent as a package. It then resolves python3 once and runs moto, cfn-lint
 * and the AWS CLI without a version manager's shims (test/support/python-setup.ts).
 * Unit, integration and command files run two at a time first (group 0); the end-to-end files then run one
 * at a time (group 1): each starts a whole local cloud whose scenarios run in compressed time, and
 * two of them on a 2-core machine cut into each other's reaction times (tried: a Spot warning of
 * 6 real seconds outran the agents, and the demo then cut sessions).
 */
export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'agent/test/unit/**/*.test.ts', 'local/test/unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
          globalSetup: ['test/support/agent-dist-setup.ts', 'test/support/python-setup.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'agent/test/integration/**/*.test.ts', 'local/test/integration/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
          globalSetup: ['test/support/agent-dist-setup.ts', 'test/support/python-setup.ts', 'test/support/moto-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The commands a user types that wait on nothing but themselves (npm run invoke, help and
          // flag errors): beside the unit and integration files, not among the timed scenarios.
          name: 'commands',
          include: ['test/commands/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
          globalSetup: ['test/support/agent-dist-setup.ts', 'test/support/python-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          // Each file starts its own local cloud (moto, gateway, function workers, ECS twin).
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          globalSetup: ['test/support/agent-dist-setup.ts', 'test/support/python-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
