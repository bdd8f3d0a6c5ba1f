// Test support other suites use (e2e, bench, deploy): the built server started as its own process.
// Shipped as `@termrelay/server/testing`; never imported by the server itself.
export { startTermrelayProcess, TERMRELAY_MAIN } from './termrelay-process.js';
export type { TermrelayProcess } from './termrelay-process.js';
