import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callControl } from '../../src/agent/control';
import { runAgent } from '../../src/agent/run';
import { EXIT } from '../../src/cli/exit-codes';
import { createError } from '../../src/errors';
import { config, fakeWorld, FakeWorld } from './fake-deps';
import { decision, query } from './fakes';

let world: FakeWorld;
let stderr: string[];
beforeEach(() => {
  world = fakeWorld();
  stderr = [];
  for (const name of ['gp1', 'gp2']) mkdirSync(join(world.dir, name));
});
afterEach(() => rmSync(world.dir, { recursive: true, force: true }));

const sock = () => join(world.dir, 'agent.sock');
const pidFile = () => join(world.dir, 'agent.pid');
const run = () => runAgent({ configFile: join(world.dir, 'config.yaml'), stderr: (t) => stderr.push(t), handleSignals: false }, world.deps);

/** Start the agent in-process and wait until its control socket answers. */
async function startRunning(): Promise<{ done: Promise<number> }> {
  const done = run();
  for (let i = 0; i < 300 && !existsSync(sock()); i += 1) await new Promise((r) => setTimeout(r, 10));
  return { done };
}

describe('start failures', () => {
  const invalid = () => createError('CONFIG_INVALID', 'expected a valid configuration, got 1 problem(s)', {
    problems: [{ file: '/c.yaml', line: 3, column: 5, path: 'policies[0].name', message: 'expected a string, got 7' }],
  });

  test.each([
    ['invalid configuration', () => { world.next.config = invalid(); }, EXIT.CONFIG_INVALID,
      'configuration is invalid (1 problem):\n/c.yaml:3:5: policies[0].name: expected a string, got 7\n'],
    ['module not loaded', () => { rmdirSync(join(world.dir, 'proc', 'takakrypt')); }, EXIT.FAILURE,
      'kernel module takakrypt is not loaded; run insmod takakrypt.ko\n'],
    ['missing key', () => { world.next.config = config(world.dir, [], ['docs-key']); }, EXIT.FAILURE,
      `key "docs-key" (needed by p1 key_rules[0]): expected in the key store ${'DIR'}/keys, not found\n`],
    ['missing guard point directory', () => { world.next.config = config(world.dir, [join(world.dir, 'gp1'), join(world.dir, 'nope')]); }, EXIT.FAILURE,
      'guard point DIR/nope: expected an existing directory, found none\n'],
  ])('%s: exit status and message, nothing left behind', async (_name, arrange, status, message) => {
    world.next.config = config(world.dir, [join(world.dir, 'gp1')]);
    arrange();
    expect(await run()).toBe(status);
    expect(stderr.join('')).toBe(message.replace(/DIR/g, world.dir));
    expect(existsSync(pidFile())).toBe(false);
    expect(world.table.size).toBe(0);
  });
});

describe('a running agent', () => {
  beforeEach(() => {
    world.next.config = config(world.dir, [join(world.dir, 'gp1')], ['k1']);
    world.keys = ['k1'];
  });

  test('registers, sends a generation, mounts, writes its pid and answers queries', async () => {
    const { done } = await startRunning();
    expect(world.calls).toEqual(['register', 'generation + ttl 30000', `mount ${join(world.dir, 'gp1')}`]);
    expect(readFileSync(pidFile(), 'utf8')).toBe(`${process.pid}\n`);
    expect(readFileSync(join(world.dir, 'sys', 'module', 'takakrypt', 'parameters', 'timeout_ms'), 'utf8', )).toBe('5000');
    world.query(query({ id: 3 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(world.answers).toEqual([{ id: 3, permit: true, applyKey: false, audit: false, cacheTtlMs: 30000, anyObject: false }]);
    await callControl(sock(), { cmd: 'stop', keepMounts: false });
    expect(await done).toBe(EXIT.OK);
  });

  test('reload: an invalid configuration is rejected and the old policy stays', async () => {
    const { done } = await startRunning();
    world.next.config = createError('CONFIG_INVALID', 'expected a valid configuration, got 1 problem(s)', {
      problems: [{ file: '/c.yaml', line: 9, column: 3, path: 'guard_points[0].policy', message: 'unknown policy "nope"' }],
    });
    const reply = await callControl(sock(), { cmd: 'reload' });
    expect(reply).toEqual({
      ok: false, code: 'CONFIG_INVALID', message: 'configuration is invalid (1 problem):',
      problems: ['configuration is invalid (1 problem):', '/c.yaml:9:3: guard_points[0].policy: unknown policy "nope"'],
    });
    expect(world.calls.filter((c) => c.startsWith('generation'))).toHaveLength(1);
    world.query(query({ id: 4 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(world.answers).toEqual([{ id: 4, permit: true, applyKey: false, audit: false, cacheTtlMs: 30000, anyObject: false }]);
    await callControl(sock(), { cmd: 'stop', keepMounts: false });
    await done;
  });

  test('reload: a missing key is rejected and the old policy stays', async () => {
    const { done } = await startRunning();
    world.next.config = config(world.dir, [join(world.dir, 'gp1')], ['k2'], 'p2');
    const reply = await callControl(sock(), { cmd: 'reload' });
    expect(reply).toMatchObject({ ok: false, code: 'AGENT_KEY_MISSING' });
    expect(await callControl(sock(), { cmd: 'status' })).toMatchObject({ ok: true, configFile: join(world.dir, 'config.yaml') });
    world.query(query({ id: 5 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(world.audits).toEqual([]);
    expect(world.answers[0]).toMatchObject({ id: 5, permit: true });
    await callControl(sock(), { cmd: 'stop', keepMounts: false });
    await done;
  });

  test('reload: a valid change swaps the policy, sends a new generation and mounts an added guard point', async () => {
    const { done } = await startRunning();
    world.decide = (policy) => decision({ permit: policy === 'p1', policy });
    world.next.config = config(world.dir, [join(world.dir, 'gp1'), join(world.dir, 'gp2')], ['k1'], 'p2');
    const reply = await callControl(sock(), { cmd: 'reload' });
    expect(reply.ok).toBe(true);
    expect(world.calls.filter((c) => c.startsWith('generation'))).toHaveLength(2);
    expect([...world.table.keys()].sort()).toEqual([join(world.dir, 'gp1'), join(world.dir, 'gp2')]);
    world.query(query({ id: 6 }));
    await new Promise((r) => setTimeout(r, 20));
    expect(world.answers).toEqual([{ id: 6, permit: false, applyKey: false, audit: false, cacheTtlMs: 30000, anyObject: false }]);
    expect(world.audits.map((a) => a.decision.policy)).toEqual(['p2']);
    await callControl(sock(), { cmd: 'stop', keepMounts: false });
    await done;
  });

  test.each([
    [false, 0],
    [true, 1],
  ])('stop with keepMounts=%s leaves %d guard points mounted, closes the channel, removes the pid file', async (keepMounts, left) => {
    const { done } = await startRunning();
    const reply = await callControl(sock(), { cmd: 'stop', keepMounts });
    expect(reply).toEqual({ ok: true, failures: [] });
    expect(await done).toBe(EXIT.OK);
    expect(world.table.size).toBe(left);
    expect(world.calls[world.calls.length - 1]).toBe('close');
    expect(existsSync(pidFile())).toBe(false);
  });

  test('a lost kernel channel stops the agent with status 1, guard points left mounted (denying)', async () => {
    const { done } = await startRunning();
    world.lose('ENOBUFS: socket failed');
    expect(await done).toBe(EXIT.FAILURE);
    expect([...world.table.keys()]).toEqual([join(world.dir, 'gp1')]);
    expect(existsSync(pidFile())).toBe(false);
    expect(readFileSync(join(world.dir, 'agent.log'), 'utf8')).toContain('"message":"kernel channel lost"');
  });

  test('a second agent on the same pid file is refused', async () => {
    const { done } = await startRunning();
    // The pid file names this (jest) process, which is no takakrypt-agent:
    // point it at a fake live agent in the fake /proc instead.
    mkdirSync(join(world.dir, 'proc', String(process.pid)), { recursive: true });
    writeFileSync(join(world.dir, 'proc', String(process.pid), 'cmdline'), 'node\0/x/dist/cli/main.js\0start\0');
    const second: string[] = [];
    const status = await runAgent({ configFile: 'c', stderr: (t) => second.push(t), handleSignals: false }, world.deps);
    expect(status).toBe(EXIT.FAILURE);
    expect(second.join('')).toBe(`already running (pid ${process.pid})\n`);
    await callControl(sock(), { cmd: 'stop', keepMounts: false });
    await done;
  });
});
