import { defineConfig } from 'vitest/config';

// The docs check (scripts/docs.test.mjs): run by `npm run test:docs` and by `npm test` after the build.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['scripts/**/*.test.mjs'],
    testTimeout: 60_000,
  },
});
