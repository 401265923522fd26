import { mkdtemp, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStateStore, StateFileError } from '../../lambda/adapters/file-state-store';
import type { ControllerState } from '../../lambda/reconcile/state';

const STATE: ControllerState = {
  version: 2,
  services: {
    S1: {
      targets: { A: { passes: 2, failures: 0, up: true, lastProbe: { healthy: true, reason: 'ok', latencyMs: 1.2, at: '2026-11-24T10:00:00.000Z' } } },
      overrides: { B: { action: 'halt', by: 'alice', at: '2026-11-24T09:00:00.000Z', reason: 'smoke' } },
    },
  },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'medlb-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileStateStore', () => {
  test('a missing file is an empty state and is created by save; save/load round-trips', async () => {
    const store = new FileStateStore(join(dir, 'state.json'));
    expect(await store.load()).toEqual({ version: 2, services: {} });
    expect(await readdir(dir)).toEqual([]);
    await store.save(STATE);
    expect(await readdir(dir)).toEqual(['state.json']); // no temp file left behind
    expect(await new FileStateStore(join(dir, 'state.json')).load()).toEqual(STATE);
  });

  test('writes atomically: a temp file in the same directory renamed over the old file', async () => {
    const path = join(dir, 'state.json');
    const store = new FileStateStore(path);
    await store.save(STATE);
    const fs = require('node:fs/promises') as typeof import('node:fs/promises');
    const renameSpy = jest.spyOn(fs, 'rename');
    try {
      await store.save({ version: 2, services: {} });
      expect(renameSpy).toHaveBeenCalledTimes(1);
      const [from, to] = renameSpy.mock.calls[0]!;
      expect(to).toBe(path);
      expect(String(from).startsWith(join(dir, '.state.json.'))).toBe(true);
    } finally {
      renameSpy.mockRestore();
    }
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 2, services: {} });
  });

  test.each([
    ['truncated JSON', '{"version":1,"serv', /state file .*state\.json: is corrupt and was left untouched \(\(root\): not valid JSON/],
    ['wrong version', '{"version":0,"services":{}}', /is corrupt and was left untouched \(version: /],
    ['bad counters', '{"version":1,"services":{"S1":{"targets":{"A":{"passes":-1,"failures":0,"up":true}}}}}', /services\.S1\.targets\.A\.passes/],
  ])('a corrupt file (%s) is a typed error naming the file and is never overwritten', async (_what, content, message) => {
    const path = join(dir, 'state.json');
    await writeFile(path, content);
    const store = new FileStateStore(path);
    await expect(store.load()).rejects.toThrow(StateFileError);
    await expect(store.load()).rejects.toThrow(message);
    await expect(store.save(STATE)).rejects.toThrow(StateFileError);
    await expect(new FileStateStore(path).save(STATE)).rejects.toThrow(/left untouched/); // even without a load first
    expect(await readFile(path, 'utf8')).toBe(content);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  test('an unwritable directory is a StateFileError and leaves no temp file', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; use a path whose parent is a file instead
      const store = new FileStateStore(join(dir, 'not-a-dir', 'state.json'));
      await writeFile(join(dir, 'not-a-dir'), 'x');
      await expect(store.save(STATE)).rejects.toThrow(StateFileError);
      return;
    }
    const sub = join(dir, 'ro');
    await require('node:fs/promises').mkdir(sub);
    await chmod(sub, 0o500);
    try {
      await expect(new FileStateStore(join(sub, 'state.json')).save(STATE)).rejects.toThrow(/cannot be written/);
      expect(await readdir(sub)).toEqual([]);
    } finally {
      await chmod(sub, 0o700);
    }
  });

  test('audit records are appended as JSON lines next to the state file', async () => {
    const store = new FileStateStore(join(dir, 'state.json'));
    await store.appendAudit([]);
    expect(await readdir(dir)).toEqual([]);
    const record = { who: 'alice', when: '2026-11-24T10:00:00.000Z', action: 'drain' as const, service: 'S1', target: 'A', reason: 'patch' };
    await store.appendAudit([record]);
    await store.appendAudit([{ ...record, action: 'online' }]);
    const lines = (await readFile(join(dir, 'state.json.audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.action)).toEqual(['drain', 'online']);
    expect(lines[0]).toEqual(record);
  });
});
