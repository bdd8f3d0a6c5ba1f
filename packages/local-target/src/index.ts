export { createLocalTarget, defaultShell } from './local-target.js';
export type { LocalTarget, LocalTargetOptions } from './local-target.js';
