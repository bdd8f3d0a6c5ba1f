export { createApp, DEFAULT_WEB_ROOT } from './app.js';
export type { AppOptions, TermrelayApp } from './app.js';
export { parseConfig, loadConfigFile, ConfigError, isLoopback } from './config.js';
export type { Config, ConsoleConfig, TargetConfig } from './config.js';
export type { AuditEvent } from './audit.js';
export type { Principal } from './auth.js';
export { createLogger } from './logger.js';
export { createMetrics } from './metrics.js';
export type { Metrics } from './metrics.js';
