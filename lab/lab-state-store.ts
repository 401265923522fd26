/**
 * The lab controller's state store: the CLI's state file (lambda/adapters/file-state-store.ts), plus the one
 * guarantee the file store leaves out — a round's save does not overwrite an override that `medlb drain`,
 * `halt` or `online` (another process, on the same file) wrote while the round was probing. The file as it was
 * loaded is remembered; when it changed before the save, the save is refused with StateConflictError, and the
 * round reloads, keeps the newer overrides and saves again, as it does against DynamoDB.
 */
import { readFile } from 'node:fs/promises';
import { FileStateStore } from '../lambda/adapters/file-state-store';
import { StateConflictError, type StateStore } from '../lambda/reconcile/ports';
import type { AuditRecord, ControllerState } from '../lambda/reconcile/state';

/** A state file shared with the `medlb` override commands. */
export class LabStateStore implements StateStore {
  private readonly file: FileStateStore;
  /** The file's text at the last load or save (undefined: it did not exist). */
  private seen: string | undefined;

  constructor(readonly path: string) {
    this.file = new FileStateStore(path);
  }

  async load(): Promise<ControllerState> {
    this.seen = await this.text();
    return this.file.load();
  }

  async save(state: ControllerState): Promise<void> {
    // A small window remains between this read and the rename inside save; an override's own save is as short.
    if ((await this.text()) !== this.seen) throw new StateConflictError(`state file ${this.path} changed by another writer`);
    await this.file.save(state);
    this.seen = await this.text();
  }

  appendAudit(records: readonly AuditRecord[]): Promise<void> {
    return this.file.appendAudit(records);
  }

  private async text(): Promise<string | undefined> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      // Structural: errors of node's fs need not be instances of this realm's Error (jest's VM, for one).
      if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
