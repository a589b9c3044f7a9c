/**
 * The backend keeps a request's context (its log scope, the DOKU exchanges being captured) in
 * AsyncLocalStorage. Node 24, the production image's runtime, implements it with async context
 * frames; Node 22 does the same only under `--experimental-async-context-frame`, and otherwise with
 * promise hooks that run on every promise of every request (several per cent of a purchase's CPU,
 * docs/performance.md). So on Node 22 the server restarts itself with that flag before loading
 * anything: the same process (`process.execve`, no child), the same arguments. It is the first
 * import of the server's entry (main.ts); the bench passes the flag itself.
 */

export const ASYNC_CONTEXT_FRAME_FLAG = '--experimental-async-context-frame';

interface NodeRuntime {
  /** `process.versions.node`, e.g. "22.23.5". */
  version: string;
  execArgv: readonly string[];
  /** The NODE_OPTIONS environment variable, or ''. */
  nodeOptions: string;
}

const current = (): NodeRuntime => ({
  version: process.versions.node,
  execArgv: process.execArgv,
  nodeOptions: process.env.NODE_OPTIONS ?? '',
});

/**
 * The flag to add so this runtime keeps request context as Node 24 does: on Node 22 when nothing
 * already says otherwise (the flag, or `--no-experimental-async-context-frame`, on the command line
 * or in NODE_OPTIONS); nothing on other versions (Node 24 has it by default and refuses the flag).
 */
export function asyncContextFrameFlags(runtime: NodeRuntime = current()): string[] {
  if (Number(runtime.version.split('.')[0]) !== 22) return [];
  const given = [...runtime.execArgv, ...runtime.nodeOptions.split(/\s+/)];
  return given.some((option) => option.includes('async-context-frame')) ? [] : [ASYNC_CONTEXT_FRAME_FLAG];
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process with itself under the flag when `asyncContextFrameFlags` asks for it and
 * the runtime can (`process.execve`, Node 22.15 and later; before that it goes on as it is).
 */
export function restartWithAsyncContextFrame(): void {
  const flags = asyncContextFrameFlags();
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (flags.length === 0 || typeof execve !== 'function') return;
  execve(process.execPath, [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)], process.env);
}
