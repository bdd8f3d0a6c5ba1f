// The docs check: every command the READMEs and docs tell a person to run names a script, file, flag or
// test that exists, and the cheap ones (`npx termrelay --help`, `--version`) are run for real. Paths the
// docs name exist, and relay-core's README lists everything its index exports. It reads the docs and the
// repository; it never starts a server or changes a file. Needs a build (`npm run build`) for the commands
// it runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every Markdown file a newcomer reads: the root ones, each app's and package's README, and docs/. */
function docFiles() {
  const files = ['README.md', 'CONTRIBUTING.md'];
  for (const folder of ['apps', 'packages']) {
    for (const name of readdirSync(join(ROOT, folder))) {
      if (existsSync(join(ROOT, folder, name, 'README.md'))) files.push(`${folder}/${name}/README.md`);
    }
  }
  for (const name of readdirSync(join(ROOT, 'docs'))) if (name.endsWith('.md')) files.push(`docs/${name}`);
  return files;
}

const readJson = (path) => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));
const rootScripts = readJson('package.json').scripts;

/** Commands in ```sh blocks (one per line, `&&` and `;` split, comments dropped) and in inline code. */
function commandsIn(file) {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const commands = [];
  const add = (line) => {
    for (const part of line.split(/&&|;/)) {
      const command = part.trim();
      if (command) commands.push({ file, command });
    }
  };
  for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    for (const line of (block[1] ?? '').split('\n')) add(line.replace(/\s+#\s.*$/, ''));
  }
  const prose = text.replace(/```[\s\S]*?```/g, '');
  for (const span of prose.matchAll(/`([^`\n]+)`/g)) {
    if (/^([A-Z_][A-Z0-9_]*=\S*\s+)*(npm|npx|node) /.test(span[1] ?? '')) add(span[1] ?? '');
  }
  return commands;
}

/** Shell words, with "quoted" and 'quoted' words kept whole. */
function words(command) {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Flags (`--name`, `--name=…`, `-x`) among `args`, without their values. */
function flags(args) {
  return args.filter((a) => /^-/.test(a) && a !== '--').map((a) => a.replace(/=.*$/, ''));
}

/** A file that handles its own flags must mention each one (`--only=` as `--only`). */
function expectFlagsIn(file, args, where) {
  const source = readFileSync(join(ROOT, file), 'utf8');
  for (const flag of flags(args)) expect(source, `${where}: ${file} knows no ${flag}`).toContain(flag);
}

const specTitles = () => {
  const titles = [];
  for (const name of readdirSync(join(ROOT, 'e2e'))) {
    if (!name.endsWith('.spec.ts')) continue;
    const lines = readFileSync(join(ROOT, 'e2e', name), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const title = /^\s*test\((['`"])(.*?)\1/.exec(line)?.[2] ?? /^\s*test\(\s*$/.exec(line)?.[0];
      if (title !== undefined) titles.push({ file: `e2e/${name}`, line: i + 1, title });
    });
  }
  return titles;
};

const runs = new Map();
/** Runs `npx …argv` at the root as a newcomer would, once per distinct command. */
function npx(argv) {
  const key = argv.join(' ');
  if (!runs.has(key)) runs.set(key, spawnSync('npx', argv, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 }));
  return runs.get(key);
}
const helpOf = (argv) => {
  const run = npx([...argv, '--help']);
  return `${run.stdout}${run.stderr}`;
};

/** Tools whose arguments the check leaves alone: they are the project's own linters and builders. */
const UNCHECKED_TOOLS = new Set(['turbo', 'prettier', 'eslint', 'tsc', 'vitest']);

function checkCommand({ file, command }) {
  const where = `${file}: \`${command}\``;
  const [tool, ...args] = words(command.replace(/^([A-Z_][A-Z0-9_]*=\S*\s+)+/, ''));
  if (tool === 'npm') {
    const [verb, name, ...rest] = args;
    if (verb === 'ci' || verb === 'install') return;
    const script = verb === 'run' ? name : verb;
    const extra = verb === 'run' ? rest : [name, ...rest].filter((a) => a !== undefined);
    expect(rootScripts, `${where}: no npm script "${script}" in package.json`).toHaveProperty([script]);
    // `npm run bench -- --quick`: the flags go to the node script the npm script runs.
    const target = /\bnode (\S+\.m?js)/.exec(rootScripts[script])?.[1];
    const passed = extra.includes('--') ? extra.slice(extra.indexOf('--') + 1) : [];
    if (target) expectFlagsIn(target, passed, where);
    else expect(flags(passed), `${where}: arguments for a script that runs no node file`).toEqual([]);
    return;
  }
  if (tool === 'node') {
    const [script, ...rest] = args;
    expect(existsSync(join(ROOT, script ?? '')), `${where}: no file ${script}`).toBe(true);
    expectFlagsIn(script ?? '', rest, where);
    return;
  }
  expect(tool, `${where}: the docs check does not know this command`).toBe('npx');
  const [bin, ...rest] = args;
  if (bin === 'termrelay') {
    // The cheap ones run for real, as a newcomer would type them; the rest must be in the help.
    if (rest.length === 1 && (rest[0] === '--help' || rest[0] === '--version')) {
      const run = npx(['termrelay', rest[0]]);
      expect(run.status, `${where}: exit ${run.status}\n${run.stderr}`).toBe(0);
      expect(run.stdout.trim(), where).not.toBe('');
      return;
    }
    const help = helpOf(['termrelay']);
    for (const flag of flags(rest)) expect(help, `${where}: --help lists no ${flag}`).toContain(flag);
    return;
  }
  if (bin === 'playwright') {
    const [sub, ...more] = rest;
    const help = helpOf(['playwright', sub ?? '']);
    for (const flag of flags(more))
      expect(help, `${where}: playwright ${sub} has no ${flag}`).toContain(flag);
    if (sub !== 'test') return;
    const titles = specTitles();
    const grep = more[more.indexOf('-g') + 1];
    if (more.includes('-g')) {
      expect(
        titles.some((t) => t.title.includes(grep ?? '')),
        `${where}: no e2e test title contains "${grep}"`,
      ).toBe(true);
    }
    for (const arg of more.filter((a) => /\.spec\.ts/.test(a))) {
      const [spec, line] = arg.split(':');
      expect(existsSync(join(ROOT, spec ?? '')), `${where}: no file ${spec}`).toBe(true);
      if (line) {
        expect(
          titles.some((t) => t.file === spec && t.line === Number(line)),
          `${where}: no test starts at ${spec}:${line}`,
        ).toBe(true);
      }
    }
    return;
  }
  expect(UNCHECKED_TOOLS.has(bin ?? ''), `${where}: the docs check does not know \`npx ${bin}\``).toBe(true);
}

/** Generated or example paths that are not in the repository on purpose. */
const GENERATED = /(^|\/)(dist|node_modules|test-results|playwright-report)\/|^bench\/results\/local\//;

/** Repository paths in inline code (`apps/server/src/config.ts`, a package's `src/…`) and relative links. */
function pathsIn(file) {
  const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const folder = dirname(file);
  const paths = [];
  for (const span of text.matchAll(/`([^`\s]+)`/g)) {
    const path = span[1] ?? '';
    if (!/^[\w.-]+\/[\w./-]*$/.test(path) || /\.\.\.|…|<|\*/.test(path)) continue;
    if (/^(apps|packages|e2e|bench|docs|scripts|deploy)\//.test(path)) paths.push(path);
    else if (/^src\//.test(path) && folder !== '.') paths.push(join(folder, path));
  }
  for (const link of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
    const target = link[1] ?? '';
    if (!/^[a-z]+:/.test(target)) paths.push(relative(ROOT, join(ROOT, folder, target)));
  }
  return paths.filter((p) => !GENERATED.test(p));
}

const docs = docFiles();
const commands = docs.flatMap(commandsIn);

describe('the documented commands', () => {
  it('finds the commands in the docs (the check itself reads them)', () => {
    expect(commands.map((c) => c.command)).toEqual(
      expect.arrayContaining(['npm ci', 'npm start', 'npx termrelay --help', 'npx playwright test']),
    );
  });

  it.each(commands.map((c) => [`${c.file}: ${c.command}`, c]))('%s', (_name, command) => {
    checkCommand(command);
  });
});

describe('the documented paths', () => {
  it.each(docs)('every repository path and relative link in %s exists', (file) => {
    const missing = pathsIn(file).filter((path) => !existsSync(join(ROOT, path)));
    expect(missing, `${file} names paths that do not exist`).toEqual([]);
  });
});

describe("relay-core's README", () => {
  it('lists every value its index exports', () => {
    const index = readFileSync(join(ROOT, 'packages/relay-core/src/index.ts'), 'utf8');
    const readme = readFileSync(join(ROOT, 'packages/relay-core/README.md'), 'utf8');
    const exported = [...index.matchAll(/^export \{([^}]*)\}/gm)].flatMap((m) =>
      (m[1] ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    );
    expect(exported.length).toBeGreaterThan(10);
    expect(exported.filter((name) => !new RegExp(`\\b${name}\\b`).test(readme))).toEqual([]);
  });
});
