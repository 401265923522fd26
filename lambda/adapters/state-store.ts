/**
 * State store port: where the controller keeps its state (lambda/reconcile/state.ts) between rounds and
 * invocations, and its audit trail. Implementations: file-state-store.ts (a local JSON file, for the CLI) and
 * dynamodb-state-store.ts (DynamoDB, for the Lambda).
 *
 * Usage: a round does `load()` → reconcile → `save(result.state)` → `appendAudit(result.audit)`;
 * an operator action does `load()` → applyOperatorAction → `save(next)` → `appendAudit([record])`.
 * `save` must not lose an operator's override written between another writer's `load` and `save`
 * (each implementation documents how it guarantees that).
 */
import type { AuditRecord, ControllerState } from '../reconcile/state';

export interface StateStore {
  /** The current state; an empty state when nothing was stored yet. Unreadable state is an error (never "empty"). */
  load(): Promise<ControllerState>;
  /** Persists `state` (which came from this store's last `load`, changed by the reconciler or an override). */
  save(state: ControllerState): Promise<void>;
  /** Appends audit records (who/when/what/why). No-op for an empty list. */
  appendAudit(records: readonly AuditRecord[]): Promise<void>;
}

/** Another writer changed the stored state between this store's `load` and `save`; load again and retry. */
export class StateConflictError extends Error {
  constructor(
    /** What conflicted, e.g. `service DICOM-Modalities health`. */
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(`state changed concurrently (${subject}); load the state again and retry`, options);
    this.name = 'StateConflictError';
  }
}
