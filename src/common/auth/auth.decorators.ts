import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator, SetMetadata } from '@nestjs/common';
import type { Principal } from './principal';
import type { ServiceScope, UserRole } from './roles';

export const IS_PUBLIC = 'auth:public';
export const ACCESS_RULE = 'auth:access';
export const SENSITIVE_RATE_LIMIT = 'ratelimit:sensitive';
export const NO_RATE_LIMIT = 'ratelimit:none';

/**
 * Who may call a route. A route with no rule is refused to everyone (deny by default); `@Public()`
 * is the only way out of authentication.
 */
export interface AccessRule {
  /** User roles allowed; an empty list means no user at all. */
  roles: UserRole[];
  /** Service scopes of which a service client needs every one; null means no service client. */
  serviceScopes: ServiceScope[] | null;
}

export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Users with one of these roles; with no roles given, any signed-in user. */
export const AllowUsers = (...roles: UserRole[]) =>
  SetMetadata(ACCESS_RULE, {
    roles: roles.length ? roles : ['user', 'admin', 'support', 'finance'],
    serviceScopes: null,
  } satisfies AccessRule);

/** The same users as AllowUsers, plus service clients holding every listed scope. */
export const Allow = (rule: { roles?: UserRole[]; scopes?: ServiceScope[] }) =>
  SetMetadata(ACCESS_RULE, { roles: rule.roles ?? [], serviceScopes: rule.scopes ?? null } satisfies AccessRule);

/** Stricter rate limit: login, register, token and OTP-like routes. */
export const SensitiveRateLimit = () => SetMetadata(SENSITIVE_RATE_LIMIT, true);

/** No rate limit: DOKU's notifications (DOKU's retries must get through), health, metrics, the JWKS. */
export const NoRateLimit = () => SetMetadata(NO_RATE_LIMIT, true);

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  return ctx.switchToHttp().getRequest<{ principal: Principal }>().principal;
});
