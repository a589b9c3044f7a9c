import type { LoggerService } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Bindings, Logger, LevelWithSilent } from 'pino';

/**
 * The application's logs: one pino logger per application (its root), and while a request is
 * served, a child of it that carries the request (`req`: id, method, URL, the headers we keep), so
 * every line written on the request's behalf can be traced to it (docs/operations.md#logs).
 *
 * The child is made only when something logs during the request: most requests write nothing but
 * their access line, which is written from the root with the same `req` field (request-logging.ts).
 */
export class RequestLogScope {
  private child: Logger | undefined;

  constructor(
    private readonly root: Logger,
    /** What the access line and the child logger show of the request (the `req` serializer's input). */
    readonly req: LoggedRequest,
  ) {}

  /** The request's logger: the root with the request bound, made on first use. */
  get logger(): Logger {
    this.child ??= this.root.child({ req: this.req });
    return this.child;
  }

  /** The request's logger when one was made, else undefined (the access line then binds `req` itself). */
  get madeLogger(): Logger | undefined {
    return this.child;
  }
}

/** What a log line shows of a request (see logger-options.ts for the serializer). */
export interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
}

/** The scope of the request being served, if any; set by the request hooks in request-logging.ts. */
export const requestLogScope = new AsyncLocalStorage<RequestLogScope>();

/** The logger a line goes to now: the current request's, else the application's root. */
function current(root: Logger): Logger {
  return requestLogScope.getStore()?.logger ?? root;
}

type LogMethod = (objOrMessage: unknown, message?: string) => void;

/**
 * A named logger for one part of the application (`context` on every line), writing to the current
 * request's logger when there is one: `logs.forContext('DokuExchange').info({...}, 'message')`.
 */
export class ContextLogger {
  constructor(
    private readonly root: Logger,
    private readonly context: string,
  ) {}

  trace: LogMethod = (obj, msg) => this.write('trace', obj, msg);
  debug: LogMethod = (obj, msg) => this.write('debug', obj, msg);
  info: LogMethod = (obj, msg) => this.write('info', obj, msg);
  warn: LogMethod = (obj, msg) => this.write('warn', obj, msg);
  error: LogMethod = (obj, msg) => this.write('error', obj, msg);
  fatal: LogMethod = (obj, msg) => this.write('fatal', obj, msg);

  private write(level: Exclude<LevelWithSilent, 'silent'>, objOrMessage: unknown, message?: string): void {
    // A request's logger has the root's level: a line the root would drop never makes one.
    if (!this.root.isLevelEnabled(level)) return;
    const logger = current(this.root);
    if (typeof objOrMessage === 'string') {
      logger[level]({ context: this.context }, objOrMessage);
    } else if (objOrMessage instanceof Error) {
      logger[level]({ context: this.context, err: objOrMessage }, message);
    } else {
      logger[level]({ context: this.context, ...(objOrMessage as Bindings) }, message);
    }
  }
}

/**
 * Nest's logger (`app.useLogger`), so Nest's own lines and every `new Logger(name)` in the
 * application go to the same JSON logs: the last optional parameter is the context, an object
 * message is merged into the line, an Error is logged as `err`.
 */
export class NestLogs implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...optional: unknown[]): void {
    this.write('trace', message, optional);
  }
  debug(message: unknown, ...optional: unknown[]): void {
    this.write('debug', message, optional);
  }
  log(message: unknown, ...optional: unknown[]): void {
    this.write('info', message, optional);
  }
  warn(message: unknown, ...optional: unknown[]): void {
    this.write('warn', message, optional);
  }
  error(message: unknown, ...optional: unknown[]): void {
    this.write('error', message, optional);
  }
  fatal(message: unknown, ...optional: unknown[]): void {
    this.write('fatal', message, optional);
  }

  private write(level: Exclude<LevelWithSilent, 'silent'>, message: unknown, optional: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const logger = current(this.root);
    const fields: Record<string, unknown> = {};
    let rest = optional;
    if (optional.length > 0) {
      fields.context = optional[optional.length - 1];
      rest = optional.slice(0, -1);
    }
    if (typeof message === 'object' && message !== null) {
      if (message instanceof Error) fields.err = message;
      else Object.assign(fields, message);
      logger[level](fields, ...(rest as [string?]));
    } else if (
      level === 'error' &&
      typeof message === 'string' &&
      rest.length === 1 &&
      typeof rest[0] === 'string' &&
      /\n\s*at /.test(rest[0])
    ) {
      // Nest's exception handlers call error(message, stack, context).
      const err = new Error(message);
      err.stack = rest[0];
      fields.err = err;
      logger[level](fields);
    } else {
      logger[level](fields, String(message), ...(rest as []));
    }
  }
}

/** The application's loggers, one instance per application (LoggingModule). */
export class AppLogs {
  readonly nest: NestLogs;

  constructor(readonly root: Logger) {
    this.nest = new NestLogs(root);
  }

  forContext(context: string): ContextLogger {
    return new ContextLogger(this.root, context);
  }
}
