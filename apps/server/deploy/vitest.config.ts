import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The deploy suite: three termrelay nodes behind the real nginx running deploy/nginx/termrelay.conf,
// in front of a real sshd. Every case starts its own cluster, one at a time.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['deploy/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
