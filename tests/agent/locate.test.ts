import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePidFile } from '../../src/agent/locate';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-locate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('resolvePidFile', () => {
  test.each([
    ['set in the file', 'agent:\n  pid_file: /run/x/agent.pid\n', '/run/x/agent.pid'],
    ['absent from the file', 'agent:\n  log_level: debug\n', '/run/takakrypt-agent.pid'],
    ['relative (invalid)', 'agent:\n  pid_file: agent.pid\n', '/run/takakrypt-agent.pid'],
    ['file broken mid-edit', 'agent:\n  pid_file: "/run/y.pid"\npolicies: [ {name: broken\n', '/run/y.pid'],
  ])('%s', (_name, text, expected) => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, text);
    expect(resolvePidFile({ config: file })).toBe(expected);
  });

  test('--pid-file wins', () => {
    expect(resolvePidFile({ config: '/nonexistent.yaml', pidFile: '/run/z.pid' })).toBe('/run/z.pid');
  });

  test('a missing configuration file gives the default', () => {
    expect(resolvePidFile({ config: join(dir, 'none.yaml') })).toBe('/run/takakrypt-agent.pid');
  });
});
