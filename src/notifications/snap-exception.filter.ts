import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { SnapError } from './snap-error';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
  sent?: boolean;
}

const logger = new Logger('DokuNotifications');

/**
 * Error answers of the routes DOKU calls (token handshake, notify) in the SNAP shape DOKU parses
 * (`4017300`, `4015600`, `4015601`..., docs/doku-integration.md#notifications), instead of our global
 * `{"error":…}` body, which DOKU would read as an unknown answer and retry forever. `serviceCode` is
 * the SNAP service of the route (73 token, 56 debit notify). Errors fastify raises before the route
 * (an oversize body) never reach a route filter and keep the global body; DOKU retries those, which
 * is what we want. The notify route's JSON is parsed by the service after the signature check (see
 * bootstrap.ts).
 */
@Catch()
export class SnapExceptionFilter implements ExceptionFilter {
  constructor(private readonly serviceCode: string) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const answer = this.toSnap(exception);
    if (reply.sent === true) return;
    reply.status(answer.httpStatus).header('content-type', 'application/json; charset=utf-8').send({
      responseCode: answer.responseCode,
      responseMessage: answer.responseMessage,
    });
  }

  private toSnap(exception: unknown): SnapError {
    if (exception instanceof SnapError) return exception;
    const status = exception instanceof AppError ? exception.status : exception instanceof HttpException ? exception.getStatus() : 500;
    if (status === 429) return new SnapError(429, `429${this.serviceCode}00`, 'Too Many Requests');
    if (status >= 400 && status < 500) return new SnapError(400, `400${this.serviceCode}00`, 'Bad Request');
    logger.error({ err: exception }, 'unexpected error on a DOKU-facing route');
    return new SnapError(500, `500${this.serviceCode}00`, 'General Error');
  }
}
