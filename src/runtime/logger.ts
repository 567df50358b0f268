import { pino, type Logger } from 'pino';
import { traceLogFields } from '../telemetry/execution-spans.ts';

/**
 * The default logger: JSON lines on stderr (stdout stays for command output), level from
 * SYMPHAINY_LOG_LEVEL; a line logged inside an execution's span carries its `trace_id` and `span_id`.
 */
export function defaultLogger(level?: string): Logger {
  return pino(
    { name: 'symphainy', level: level ?? process.env.SYMPHAINY_LOG_LEVEL ?? 'warn', mixin: traceLogFields },
    pino.destination({ fd: 2, sync: true }),
  );
}
