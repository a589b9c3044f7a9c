import type { ExecutionContext } from '@nestjs/common';

type Handler = ReturnType<ExecutionContext['getHandler']>;
type Controller = ReturnType<ExecutionContext['getClass']>;

/**
 * A value worked out once per route (controller class and handler method) from its decorators'
 * metadata, then kept. Guards run on every request, and reading decorator metadata is a walk of
 * reflect-metadata's maps for each key and each of the two targets; a route's decorators cannot
 * change once the app runs (docs/performance.md).
 */
export class PerRoute<T> {
  private readonly byController = new WeakMap<object, Map<object, T>>();

  constructor(private readonly compute: (handler: Handler, controller: Controller) => T) {}

  of(context: ExecutionContext): T {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byController.get(controller);
    if (byHandler === undefined) this.byController.set(controller, (byHandler = new Map<object, T>()));
    if (byHandler.has(handler)) return byHandler.get(handler) as T;
    const value = this.compute(handler, controller);
    byHandler.set(handler, value);
    return value;
  }
}
