/** The lab's state store: a round's save never overwrites an override another process wrote meanwhile. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore } from '../../lambda/adapters/file-state-store';
import { StateConflictError } from '../../lambda/reconcile/ports';
import { LabStateStore } from '../../lab/lab-state-store';

describe('LabStateStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'medlb-lab-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves what it loaded; refuses with StateConflictError when another writer changed the file in between', async () => {
    const path = join(dir, 'state.json');
    const round = new LabStateStore(path);
    const first = await round.load();
    await round.save({ ...first, lastRoundAt: '2026-11-27T17:00:00.000Z' });
    const loaded = await round.load();
    expect(loaded.lastRoundAt).toBe('2026-11-27T17:00:00.000Z');
    // `medlb drain` in another process: the file store, on the same file.
    const operator = new FileStateStore(path);
    await operator.save({ ...(await operator.load()), lastRoundAt: '2026-11-27T17:00:05.000Z' });
    await expect(round.save({ ...loaded, lastRoundAt: '2026-11-27T17:00:10.000Z' })).rejects.toBeInstanceOf(StateConflictError);
    expect((await operator.load()).lastRoundAt).toBe('2026-11-27T17:00:05.000Z');
    // Loaded again, the round may save.
    await round.save({ ...(await round.load()), lastRoundAt: '2026-11-27T17:00:10.000Z' });
    expect((await operator.load()).lastRoundAt).toBe('2026-11-27T17:00:10.000Z');
  });
});
