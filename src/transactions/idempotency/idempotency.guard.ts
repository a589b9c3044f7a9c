import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata, UseGuards, applyDecorators } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
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

/** The part of Fastify's reply an idempotent answer sets. */
export interface IdempotentReplyTarget {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

/**
 * Requires an Idempotency-Key on the route and binds it to the caller and to a fingerprint of the
 * request. A guard, run after the access guard has settled the caller: an interceptor would do the
 * same work inside an RxJS pipeline built for every request (docs/performance.md).
 */
@Injectable()
export class IdempotencyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<IdempotentRequest>();
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
    return true;
  }
}

/**
 * Writes a service's IdempotentResponse as the HTTP answer: its status, `Idempotent-Replayed: true`
 * on a replay, and its body (returned, for Nest to send). Handlers take the reply with
 * `@Res({ passthrough: true })`.
 */
export function idempotentAnswer<TBody>(reply: IdempotentReplyTarget, response: IdempotentResponse<TBody>): TBody {
  reply.status(response.status);
  if (response.replayed) reply.header('Idempotent-Replayed', 'true');
  return response.body;
}

export const IDEMPOTENT_ROUTE = 'idempotency:route';

/**
 * Marks a money-moving POST: Idempotency-Key required; the handler answers with
 * `idempotentAnswer(reply, await service(...))`.
 */
export const Idempotent = () =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_ROUTE, true),
    UseGuards(IdempotencyGuard),
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
