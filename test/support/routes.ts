import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, RESPONSE_PASSTHROUGH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { AccessRule } from '../../src/common/auth/auth.decorators';
import { ACCESS_RULE, IS_PUBLIC } from '../../src/common/auth/auth.decorators';
import { IDEMPOTENT_ROUTE } from '../../src/transactions/idempotency/idempotency.guard';

export interface RouteInfo {
  method: string;
  path: string;
  isPublic: boolean;
  rule?: AccessRule;
  /** Marked `@Idempotent()`: a money-moving POST that requires an Idempotency-Key. */
  idempotent: boolean;
  /** Takes Fastify's reply with `@Res({ passthrough: true })` (an idempotent route writes its status with it). */
  replyPassthrough: boolean;
  /** `Controller.method`, for messages. */
  handler: string;
}

function join(...parts: string[]): string {
  return (
    '/' +
    parts
      .map((p) => p.replace(/^\/|\/$/g, ''))
      .filter(Boolean)
      .join('/')
  ).replace(/\/+/g, '/');
}

/** Every route the application registered, read from the controllers' own metadata. */
export function listRoutes(app: INestApplication): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: unknown[]) => unknown) | undefined;
      if (!controller) continue;
      const prefixes = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const paths = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
        const isPublic = Boolean(Reflect.getMetadata(IS_PUBLIC, handler) ?? Reflect.getMetadata(IS_PUBLIC, controller));
        const rule = (Reflect.getMetadata(ACCESS_RULE, handler) ?? Reflect.getMetadata(ACCESS_RULE, controller)) as AccessRule | undefined;
        const idempotent = Boolean(Reflect.getMetadata(IDEMPOTENT_ROUTE, handler));
        const replyPassthrough = Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, name) === true;
        for (const prefix of prefixes) {
          for (const path of paths) {
            routes.push({
              method: RequestMethod[method],
              path: join(prefix, path),
              isPublic,
              rule,
              idempotent,
              replyPassthrough,
              handler: `${controller.name}.${name}`,
            });
          }
        }
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}
