import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { toErrorResponse } from './error-response';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
  sent?: boolean;
}

/** The one place errors become HTTP responses. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    this.logger.setContext('Errors');
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<{ id?: string }>();
    const reply = http.getResponse<ReplyLike>();
    const response = toErrorResponse(exception, String(request.id ?? 'unknown'));
    if (response.unexpected) {
      this.logger.error({ err: exception, requestId: response.body.error.requestId }, 'unexpected error');
    } else if (response.body.error.code === 'INTERNAL.UNAVAILABLE') {
      this.logger.warn({ err: exception, requestId: response.body.error.requestId }, 'answered 503: the database is unreachable');
    }
    if (reply.sent) return;
    for (const [k, v] of Object.entries(response.headers)) reply.header(k, v);
    reply.status(response.status).header('content-type', 'application/json; charset=utf-8').send(response.body);
  }
}
