#!/usr/bin/env node
// A small reader of this project's Dockerfile and .dockerignore, so scripts/docker-replay.sh can
// replay the image's steps on a machine without a Docker daemon: exactly the files the Dockerfile
// COPYs (minus what .dockerignore leaves out of the build context), its RUN commands in order, then
// the runtime stage's `COPY --from=` files, ENV and CMD. Plain CommonJS, no dependencies.
//
//   node scripts/dockerfile.js build <dir>               COPY + RUN of the first stage, in <dir>
//   node scripts/dockerfile.js runtime <buildDir> <dir>  COPY --from=<build stage> into <dir>
//   node scripts/dockerfile.js env                       the last stage's ENV, one KEY=VALUE a line
//   node scripts/dockerfile.js cmd                       the last stage's CMD, one argument a line
//
// It understands the instructions the Dockerfile uses (FROM … AS, WORKDIR, COPY with --from/--chown/
// --chmod/--link, RUN, ENV, CMD in exec form, and the ones a replay can skip: USER, EXPOSE,
// HEALTHCHECK, ARG, LABEL) and refuses anything else, so a Dockerfile change cannot be skipped
// silently.
'use strict';
const { spawnSync } = require('node:child_process');
const { cpSync, existsSync, mkdirSync, readFileSync } = require('node:fs');
const { basename, dirname, join, posix, relative, resolve, sep } = require('node:path');

const SKIPPED = new Set(['USER', 'EXPOSE', 'HEALTHCHECK', 'ARG', 'LABEL', 'STOPSIGNAL', 'SHELL']);

/** Splits shell-form arguments on blanks (no quoting is used in COPY lines). */
const words = (text) => text.trim().split(/\s+/).filter(Boolean);

/** Dockerfile text → stages `[{ name, from, instructions: [{ op, flags, args, raw }] }]`. */
function parseDockerfile(text) {
  const lines = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && !current) continue;
    if (/\\\s*$/.test(line)) {
      current += `${line.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += line;
    if (current.trim()) lines.push(current.trim());
    current = '';
  }
  if (current.trim()) lines.push(current.trim());

  const stages = [];
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    const op = m[1].toUpperCase();
    let rest = m[2];
    const flags = {};
    while (/^--[a-z-]+(=\S*)?(\s|$)/.test(rest)) {
      const [flag] = /^\S+/.exec(rest);
      const [k, v] = flag.slice(2).split('=');
      flags[k] = v ?? true;
      rest = rest.slice(flag.length).trimStart();
    }
    if (op === 'FROM') {
      const [image, as, name] = words(rest);
      stages.push({ name: as && as.toUpperCase() === 'AS' ? name : String(stages.length), from: image, instructions: [] });
      continue;
    }
    if (!stages.length) {
      if (op === 'ARG') continue;
      throw new Error(`Dockerfile: ${op} before FROM`);
    }
    stages[stages.length - 1].instructions.push({ op, flags, args: rest, raw: line });
  }
  return stages;
}

/** .dockerignore text → a function telling whether a context-relative path is left out. */
function dockerignore(text) {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, '')).replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '*' && pattern[i + 1] === '*') {
          // `**/` matches any number of directories, including none.
          if (pattern[i + 2] === '/') {
            re += '(?:.*/)?';
            i += 2;
          } else {
            re += '.*';
            i += 1;
          }
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  // As Docker's matcher: a rule matches a path when it matches the path or a directory above it;
  // the last matching rule wins (`!` brings a path back).
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, n) => parts.slice(0, n + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}

function stageWorkdir(stage, upTo = stage.instructions.length) {
  let workdir = '/';
  for (const ins of stage.instructions.slice(0, upTo)) if (ins.op === 'WORKDIR') workdir = posix.resolve(workdir, ins.args.trim());
  return workdir;
}

/** The directory a stage's files live under: its first WORKDIR (the replay's directory stands for it). */
function stageRoot(stage) {
  const first = stage.instructions.find((i) => i.op === 'WORKDIR');
  return first ? posix.resolve('/', first.args.trim()) : '/';
}

/** Where `path` (relative to `workdir`, or absolute) of a stage rooted at `root` lands under `dir`. */
function mapInto(dir, root, workdir, path) {
  const rel = posix.relative(root, posix.resolve(workdir, path));
  if (rel.startsWith('..')) throw new Error(`cannot replay a path outside ${root}: ${path}`);
  return join(dir, rel);
}

/**
 * Copies `src` (file or directory) like COPY: a directory's contents go into `dest`, symbolic links
 * stay links. `skip` gets each path relative to the build context (`rel` is `src`'s).
 */
function copyTree(src, dest, skip = () => false, rel = '') {
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (from) => {
      const inside = relative(src, from).split(sep).join('/');
      return !inside || !skip(rel ? `${rel}/${inside}` : inside);
    },
  });
}

/** Each COPY of a stage as `{ from, sources, dest }` (dest resolved to one path per source). */
function copies(stage) {
  const out = [];
  stage.instructions.forEach((ins, i) => {
    if (ins.op !== 'COPY' && ins.op !== 'ADD') return;
    if (ins.op === 'ADD') throw new Error('Dockerfile: ADD is not replayed; use COPY');
    if (ins.args.trim().startsWith('[')) throw new Error('Dockerfile: COPY in JSON form is not replayed');
    const parts = words(ins.args);
    const dest = parts.pop();
    const workdir = stageWorkdir(stage, i);
    for (const source of parts) {
      const into = parts.length > 1 || dest.endsWith('/') ? posix.join(dest, basename(source)) : dest;
      out.push({ from: ins.flags.from, source, dest: into, workdir, index: i });
    }
  });
  return out;
}

/** The runtime's exec-form CMD. */
function cmdOf(stage) {
  const cmd = [...stage.instructions].reverse().find((i) => i.op === 'CMD');
  if (!cmd) throw new Error('Dockerfile: the last stage has no CMD');
  const args = JSON.parse(cmd.args);
  if (!Array.isArray(args)) throw new Error('Dockerfile: CMD must be in exec form ["node", "..."]');
  return args;
}

function envOf(stage) {
  const env = {};
  for (const ins of stage.instructions.filter((i) => i.op === 'ENV')) {
    for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return env;
}

function checkKnown(stage) {
  for (const ins of stage.instructions) {
    if (!['WORKDIR', 'COPY', 'RUN', 'ENV', 'CMD'].includes(ins.op) && !SKIPPED.has(ins.op)) {
      throw new Error(`Dockerfile: ${ins.op} is not understood by scripts/dockerfile.js: ${ins.raw}`);
    }
  }
}

/** Replays the first stage in `dir`: its COPYs from `context`, its RUNs (sh -c) in order. */
function replayBuild(context, dir, log = (m) => process.stdout.write(`${m}\n`)) {
  const [stage] = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  checkKnown(stage);
  const ignorePath = join(context, '.dockerignore');
  const ignored = dockerignore(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
  const env = { ...process.env, ...envOf(stage) };
  const root = stageRoot(stage);
  const all = copies(stage);
  mkdirSync(dir, { recursive: true });
  stage.instructions.forEach((ins, i) => {
    if (ins.op === 'WORKDIR') mkdirSync(mapInto(dir, root, stageWorkdir(stage, i + 1), '.'), { recursive: true });
    if (ins.op === 'COPY') {
      for (const c of all.filter((x) => x.index === i)) {
        if (c.from) throw new Error(`Dockerfile: the first stage copies --from=${c.from}`);
        const rel = posix.normalize(c.source).replace(/\/+$/, '');
        if (ignored(rel)) throw new Error(`Dockerfile copies ${rel}, which .dockerignore leaves out of the build context`);
        const src = resolve(context, rel);
        if (!existsSync(src)) throw new Error(`Dockerfile copies ${rel}, which does not exist`);
        copyTree(src, mapInto(dir, root, c.workdir, c.dest), ignored, rel);
        log(`COPY ${rel} -> ${c.dest}`);
      }
    } else if (ins.op === 'RUN') {
      log(`RUN ${ins.args}`);
      const r = spawnSync('sh', ['-c', ins.args], { cwd: mapInto(dir, root, stageWorkdir(stage, i), '.'), stdio: 'inherit', env });
      if (r.error) throw new Error(`RUN ${ins.args} could not start: ${r.error.message}`);
      if (r.status !== 0) throw new Error(`RUN ${ins.args} failed (exit ${r.status ?? r.signal})`);
    }
  });
}

/** Assembles the last stage in `dir` from its `COPY --from=<first stage>` lines, out of `buildDir`. */
function assembleRuntime(context, buildDir, dir, log = (m) => process.stdout.write(`${m}\n`)) {
  const stages = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const build = stages[0];
  const runtime = stages[stages.length - 1];
  checkKnown(runtime);
  const buildRoot = stageRoot(build);
  const root = stageRoot(runtime);
  for (const c of copies(runtime)) {
    if (c.from !== build.name)
      throw new Error(`Dockerfile: the runtime stage copies from "${c.from ?? 'the build context'}", not from ${build.name}`);
    const src = mapInto(buildDir, buildRoot, '/', c.source);
    if (!existsSync(src)) throw new Error(`the build stage has no ${c.source}`);
    copyTree(src, mapInto(dir, root, c.workdir, c.dest));
    log(`COPY --from=${c.from} ${c.source} -> ${c.dest}`);
  }
}

function main(argv) {
  const context = resolve(__dirname, '..');
  const stages = () => parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const [command, a, b] = argv;
  if (command === 'build' && a) return replayBuild(context, resolve(a));
  if (command === 'runtime' && a && b) return assembleRuntime(context, resolve(a), resolve(b));
  if (command === 'env') {
    const all = stages();
    for (const [k, v] of Object.entries(envOf(all[all.length - 1]))) process.stdout.write(`${k}=${v}\n`);
    return undefined;
  }
  if (command === 'cmd') {
    const all = stages();
    for (const arg of cmdOf(all[all.length - 1])) process.stdout.write(`${arg}\n`);
    return undefined;
  }
  throw new Error('Usage: node scripts/dockerfile.js build <dir> | runtime <buildDir> <dir> | env | cmd');
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`dockerfile: ${e.message}\n`);
    process.exit(1);
  }
}

module.exports = { parseDockerfile, dockerignore, copies, cmdOf, envOf, replayBuild, assembleRuntime };
