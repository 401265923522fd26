/**
 * State store on a local JSON file (the `medlb` CLI's `--state-file`).
 *
 * - Missing file = empty state; the file is created by the first `save`.
 * - Writes are atomic: a temp file in the same directory (same file system), fsync, then rename over the target,
 *   so a crash leaves either the old or the new file, never a torn one.
 * - A corrupt or unparsable file is a `StateFileError` naming the file, and is NEVER overwritten: `save` reads
 *   the current file first and refuses when it is corrupt (someone must look at the file first).
 * - Audit records are appended as JSON lines to `<file>.audit.jsonl` next to the state file.
 * Concurrency: one writer at a time is assumed locally (a CLI round and an override started at the same moment
 * can lose one of the two writes; the Lambda uses the DynamoDB store, which guards against that).
 */
import { randomBytes } from 'node:crypto';
import { appendFile, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { emptyState, parseControllerState, StateFormatError, type AuditRecord, type ControllerState } from '../reconcile/state';
import type { StateStore } from '../reconcile/ports';
import { codeOf, messageOf } from '../../contract/thrown';

/** The state file cannot be read or is corrupt; it is left untouched. */
export class StateFileError extends Error {
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`state file ${path}: ${detail}`, options);
    this.name = 'StateFileError';
  }
}

export class FileStateStore implements StateStore {
  constructor(
    /** Path of the JSON state file. */
    readonly path: string,
    /** Path of the JSON-lines audit log. @default `<path>.audit.jsonl` */
    readonly auditPath: string = `${path}.audit.jsonl`,
  ) {}

  async load(): Promise<ControllerState> {
    return (await this.readExisting()) ?? emptyState();
  }

  /** Writes atomically; refuses (StateFileError) when the current file is corrupt, whether or not it was loaded. */
  async save(state: ControllerState): Promise<void> {
    await this.readExisting();
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw new StateFileError(this.path, `cannot be written (${messageOf(err)})`, { cause: err });
    }
  }

  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await appendFile(this.auditPath, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { encoding: 'utf8', mode: 0o600 });
  }

  /** The parsed file, undefined when it does not exist; StateFileError when unreadable or corrupt. */
  private async readExisting(): Promise<ControllerState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return undefined;
      throw new StateFileError(this.path, `cannot be read (${messageOf(err)})`, { cause: err });
    }
    try {
      return parseControllerState(text, this.path);
    } catch (err) {
      const detail = err instanceof StateFormatError ? err.problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ') : String(err);
      throw new StateFileError(this.path, `is corrupt and was left untouched (${detail})`, { cause: err });
    }
  }
}
