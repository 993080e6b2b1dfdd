import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger';

async function logLines(write: (log: ReturnType<typeof createLogger>) => void): Promise<Record<string, unknown>[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'tk-log-')), 'agent.log');
  const log = createLogger({ file, level: 'debug' });
  write(log);
  await new Promise<void>((resolve) => {
    log.on('finish', () => resolve());
    log.end();
  });
  await new Promise((r) => setTimeout(r, 50));
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('createLogger', () => {
  test.each([
    ['one object with message', (l: ReturnType<typeof createLogger>) => l.warn({ gp: '/srv', uid: 7, message: 'guard point busy' })],
    ['phrase, then fields', (l: ReturnType<typeof createLogger>) => l.warn('guard point busy', { gp: '/srv', uid: 7 })],
  ])('%s gives one JSON line with fields and message', async (_name, write) => {
    const [line] = await logLines(write);
    expect(line).toMatchObject({ level: 'warn', message: 'guard point busy', gp: '/srv', uid: 7 });
    expect(typeof line.timestamp).toBe('string');
  });

  test.each(['key', 'keyMaterial', 'passphrase', 'secret', 'material'])('redacts the %s field', async (field) => {
    const [line] = await logLines((l) => l.info({ [field]: 'c2VjcmV0LXZhbHVl', name: 'k1', message: 'key loaded' }));
    expect(line[field]).toBe('[redacted]');
    expect(line.name).toBe('k1');
    expect(JSON.stringify(line)).not.toContain('c2VjcmV0LXZhbHVl');
  });
});
