/**
 * One operator change of the state, as every operator command makes it: load, apply (pure), save when something
 * changed; when a round saved meanwhile (StateConflictError), apply the request once more to the fresh state.
 */
import { StateConflictError, type StateStore } from '../reconcile/ports';
import type { ControllerState } from '../reconcile/state';

/** What a pure operator function returns: the next state and whether it differs. */
export interface StateChange {
  readonly state: ControllerState;
  readonly changed: boolean;
}

/** Applies `apply` to the stored state and saves the result; returns the outcome that was saved. */
export async function updateState<T extends StateChange>(store: StateStore, apply: (state: ControllerState) => T): Promise<T> {
  let outcome = apply(await store.load());
  try {
    if (outcome.changed) await store.save(outcome.state);
  } catch (err) {
    if (!(err instanceof StateConflictError)) throw err;
    outcome = apply(await store.load());
    if (outcome.changed) await store.save(outcome.state);
  }
  return outcome;
}
