// Structured JSON logs. Secrets never reach a log line: the config is never logged, and these paths are
// redacted should an object carrying them be logged by mistake.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'termrelay' },
      redact: {
        paths: [
          '*.password',
          '*.passphrase',
          '*.privateKey',
          '*.token',
          '*.tokens',
          '*.ticket',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
