/**
 * Fails (exit 1) when an import breaks the layering of docs/architecture.md#layers:
 * - contract/ imports nothing of the project (lib/, lambda/, lab/, bin/): both sides import it, it imports neither;
 * - lib/ (the CDK app) imports no runtime internals (lambda/adapters, lambda/probes): what both sides must agree
 *   on is in contract/;
 * - lib/site (the site definition) imports nothing from lib/constructs (constructs build on the site, not back);
 * - folders form no cycle (file cycles are `npm run check:cycles`, madge).
 * Imports are read with the TypeScript parser (static imports, re-exports, import(), require()).
 * Usage: npx tsx scripts/check-dependencies.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const SOURCE_FOLDERS = ['bin', 'lib', 'lambda', 'lab', 'contract'];

/** A rule: files under `from` must not import files under any of `notInto`. */
interface LayerRule {
  readonly from: string;
  readonly notInto: readonly string[];
  readonly why: string;
}

const RULES: readonly LayerRule[] = [
  { from: 'contract/', notInto: ['lib/', 'lambda/', 'lab/', 'bin/'], why: 'contract/ is imported by both sides and imports neither' },
  { from: 'lib/', notInto: ['lambda/adapters/', 'lambda/probes/'], why: 'the CDK app uses contract/, not runtime internals' },
  { from: 'lib/site/', notInto: ['lib/constructs/'], why: 'the site definition knows no CDK constructs' },
];

/** Project-relative path of every TypeScript source file under the source folders (tracked or new). */
function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...SOURCE_FOLDERS], { cwd: ROOT, encoding: 'utf8' });
  return listed.split('\n').filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
}

/** Project-relative files a file imports (relative specifiers only; packages are not layers). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolveModule(path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier))));
}

/** `x` → `x.ts`, or `x/index.ts` for a folder, as Node and TypeScript resolve it. */
function resolveModule(target: string): string {
  for (const candidate of [target, `${target}.ts`, `${target}/index.ts`]) {
    if (candidate.endsWith('.ts') && existsSync(path.join(ROOT, candidate))) return candidate;
  }
  return target;
}

/** The folder a file belongs to for the cycle check (a probe's protocol subfolder counts as lambda/probes). */
function folderOf(file: string): string {
  const dir = path.posix.dirname(file);
  return dir.startsWith('lambda/probes/') ? 'lambda/probes' : dir;
}

/** One cycle of the folder graph, if any (depth-first search). */
function folderCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') return [...stack.slice(stack.indexOf(next)), next];
      if (state.get(next) === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    if (state.get(node) === undefined) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return undefined;
}

function main(): number {
  const problems: string[] = [];
  const folderEdges = new Map<string, Set<string>>();
  const files = sourceFiles();
  for (const file of files) {
    for (const target of importsOf(file)) {
      for (const rule of RULES) {
        if (file.startsWith(rule.from) && rule.notInto.some((prefix) => target.startsWith(prefix))) {
          problems.push(`${file} imports ${target}: ${rule.why}`);
        }
      }
      const [from, to] = [folderOf(file), folderOf(target)];
      if (from !== to && SOURCE_FOLDERS.some((folder) => to === folder || to.startsWith(`${folder}/`))) {
        folderEdges.set(from, (folderEdges.get(from) ?? new Set()).add(to));
      }
    }
  }
  const cycle = folderCycle(folderEdges);
  if (cycle) problems.push(`folders import each other in a cycle: ${cycle.join(' → ')}`);
  for (const problem of problems) process.stderr.write(`check-dependencies: ${problem}\n`);
  process.stdout.write(`check-dependencies: ${files.length} files, ${problems.length} problem(s)\n`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main();
