import { defineConfig } from 'vitest/config';

// The reliability suite: faults, hostile input, load and leaks against a real sshd and the real server.
// TERMRELAY_HEAVY=1 runs the full-size variants.
export default defineConfig({
  test: {
    include: ['reliability/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // The leak checks collect garbage before they measure; without it, heap not yet collected looks like growth.
    execArgv: ['--expose-gc'],
  },
});
