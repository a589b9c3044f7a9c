import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The project's root: the nearest folder above this file with a package.json (the repository, or /app in the image). */
function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

/** Where `npm run build` (scripts/build-console.js) writes the console: index.html and assets/. */
export const CONSOLE_DIR = join(projectRoot(__dirname), 'dist', 'console');

const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|map)$/;
const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
};

export interface ConsoleFile {
  body: Buffer;
  contentType: string;
}

/**
 * The built console's files, read from CONSOLE_DIR and kept in memory until the file changes (a
 * rebuild while the server runs is picked up). Only index.html and plainly named files directly
 * under assets/ are ever served.
 */
export class ConsoleBundle {
  private readonly cache = new Map<string, { mtimeMs: number; file: ConsoleFile }>();

  constructor(private readonly dir: string = CONSOLE_DIR) {}

  index(): Promise<ConsoleFile | null> {
    return this.read(join(this.dir, 'index.html'), 'text/html; charset=utf-8');
  }

  asset(name: string): Promise<ConsoleFile | null> {
    const match = ASSET_NAME.exec(name);
    if (!match) return Promise.resolve(null);
    return this.read(join(this.dir, 'assets', name), TYPES[match[2]]);
  }

  private async read(path: string, contentType: string): Promise<ConsoleFile | null> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      return null;
    }
    const cached = this.cache.get(path);
    if (cached?.mtimeMs === mtimeMs) return cached.file;
    const file = { body: await readFile(path), contentType };
    this.cache.set(path, { mtimeMs, file });
    return file;
  }
}
