import { pino, type Logger } from 'pino';

/** The default logger: JSON lines on stderr (stdout stays for command output), level from SYMPHAINY_LOG_LEVEL. */
export function defaultLogger(level?: string): Logger {
  return pino(
    { name: 'symphainy', level: level ?? process.env.SYMPHAINY_LOG_LEVEL ?? 'warn' },
    pino.destination({ fd: 2, sync: true }),
  );
}
