import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PrincipalAuthenticator } from './principal-authenticator';
import { AppError } from '../errors/app-error';
import { PerRoute } from '../http/per-route';
import { ACCESS_RULE, AccessRule, IS_PUBLIC } from './auth.decorators';
import { Principal } from './principal';

/** Whether a principal satisfies a route's rule; a route without a rule admits nobody. */
export function isAllowed(rule: AccessRule | undefined, principal: Principal): boolean {
  if (!rule) return false;
  if (principal.kind === 'user') return rule.roles.includes(principal.role);
  return rule.serviceScopes !== null && rule.serviceScopes.every((s) => principal.scopes.includes(s));
}

/**
 * The global guard: every route needs a valid token unless marked @Public(), and then a principal
 * the route's @AllowUsers / @Allow rule admits. No token or a bad one is 401; a valid token of the
 * wrong kind, role or scope is 403.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  /** Each route's decorators, read once: public, or the rule its callers must satisfy. */
  private readonly rules: PerRoute<{ isPublic: boolean; rule: AccessRule | undefined }>;

  constructor(
    reflector: Reflector,
    private readonly authenticator: PrincipalAuthenticator,
  ) {
    this.rules = new PerRoute((handler, controller) => ({
      isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true,
      rule: reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [handler, controller]),
    }));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, rule } = this.rules.of(context);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const principal = await this.authenticator.authenticate(request);
    if (!principal) throw new AppError('AUTH.UNAUTHENTICATED', 'The access token is missing, invalid or expired');
    request.principal = principal;
    if (!isAllowed(rule, principal)) throw new AppError('AUTH.FORBIDDEN', 'This token does not allow this operation');
    return true;
  }
}
