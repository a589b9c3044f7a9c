import {
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import { map, Observable } from 'rxjs';
import { Principal } from '../../common/auth/principal';
import { AppError } from '../../common/errors/app-error';
import { IdempotencyContext, IdempotentResponse } from './idempotency.service';

const KEY_FORMAT = /^[A-Za-z0-9_.:-]{8,128}$/;

/** JSON with object keys sorted, so the same body in another key order has the same fingerprint. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function principalScope(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.userId}` : `service:${principal.clientId}`;
}

interface IdempotentRequest {
  id?: string;
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  body: unknown;
  principal: Principal;
  idempotency?: IdempotencyContext;
}

interface Reply {
  status(code: number): Reply;
  header(name: string, value: string): Reply;
}

/**
 * Requires an Idempotency-Key on the route, binds it to the caller and to a fingerprint of the
 * request, and writes the service's IdempotentResponse as the HTTP response.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<IdempotentRequest>();
    const key = request.headers['idempotency-key'];
    if (key === undefined || key === '') {
      throw new AppError('IDEMPOTENCY.KEY_REQUIRED', 'This operation moves money: send an Idempotency-Key header');
    }
    if (!KEY_FORMAT.test(key)) {
      throw new AppError('IDEMPOTENCY.KEY_INVALID', 'Idempotency-Key must be 8 to 128 characters of A-Z a-z 0-9 _ . : -');
    }
    const path = request.url.split('?')[0];
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${path} ${canonicalJson(request.body ?? null)}`)
      .digest('hex');
    request.idempotency = { scope: principalScope(request.principal), key, fingerprint, requestId: request.id };
    const reply = http.getResponse<Reply>();
    return next.handle().pipe(
      map((result: IdempotentResponse<unknown>) => {
        reply.status(result.status);
        if (result.replayed) reply.header('Idempotent-Replayed', 'true');
        return result.body;
      }),
    );
  }
}

export const IDEMPOTENT_ROUTE = 'idempotency:route';

/** Marks a money-moving POST: Idempotency-Key required, the handler returns an IdempotentResponse. */
export const Idempotent = () =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_ROUTE, true),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description: '8-128 characters; one per intended operation',
      example: 'order-7781-pay-1',
    }),
  );

/** The caller's idempotency context, for the service. */
export const IdempotencyCtx = createParamDecorator((_: unknown, ctx: ExecutionContext): IdempotencyContext => {
  const context = ctx.switchToHttp().getRequest<IdempotentRequest>().idempotency;
  if (!context) throw new Error('IdempotencyCtx used on a route without @Idempotent()');
  return context;
});
