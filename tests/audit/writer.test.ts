import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTakakryptError } from '../../src/errors';
import { buildAuditRecord, formatAuditLine, mustAudit } from '../../src/audit/record';
import { LoggerSyslogSink, type AuditSink } from '../../src/audit/syslog';
import { openAuditWriter } from '../../src/audit/writer';
import type { PolicyDecision } from '../../src/policy/types';
import { request, resolver } from '../policy/helpers';

const TIME = new Date('2026-12-04T12:00:00.000Z');

function decision(fields: Partial<PolicyDecision>): PolicyDecision {
  return {
    permit: true, applyKey: false, audit: false, ruleIndex: 2, policy: 'p', keyName: 'k1', learnMode: false,
    reason: 'security rule 2 (permit) permitted f_rd', ...fields,
  };
}

class FakeSink implements AuditSink {
  lines: string[] = [];
  closed = false;
  write(line: string): void { this.lines.push(line); }
  async close(): Promise<void> { this.closed = true; }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'takakrypt-audit-'));
}

describe('which decisions are audited', () => {
  test.each<[string, Partial<PolicyDecision>, boolean]>([
    ['quiet permit', {}, false],
    ['permit with audit', { audit: true }, true],
    ['deny', { permit: false, audit: true }, true],
    ['deny even if audit were false', { permit: false, audit: false }, true],
    ['learn-mode permit', { learnMode: true, audit: true }, true],
  ])('%s', (_name, fields, expected) => {
    expect(mustAudit(decision(fields))).toBe(expected);
  });
});

describe('audit record', () => {
  test('carries every field', () => {
    const record = buildAuditRecord(request({ exe: '/usr/bin/cat', pid: 77 }), decision({ audit: true, applyKey: true }), 'alice', TIME);
    expect(record).toEqual({
      time: '2026-12-04T12:00:00.000Z', policy: 'p', guardPoint: '/srv/data', path: '/file.txt', action: 'f_rd',
      user: { name: 'alice', uid: 1001, gid: 1001, groups: [1001, 2001, 2002] },
      process: { exe: '/usr/bin/cat', pid: 77 },
      rule: 2, effect: 'permitted', applyKey: true, key: 'k1', learnMode: false,
      reason: 'security rule 2 (permit) permitted f_rd',
    });
  });

  test('a file name with a newline stays on one line', () => {
    const line = formatAuditLine(buildAuditRecord(
      request({ path: '/x\n{"effect":"permitted"}' }), decision({ permit: false }), null, TIME,
    ));
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line).path).toBe('/x\n{"effect":"permitted"}');
  });
});

describe('AuditWriter', () => {
  test('appends JSON lines for audited decisions only, to file and syslog', async () => {
    const file = join(tempDir(), 'audit.log');
    writeFileSync(file, 'earlier\n', { mode: 0o600 });
    const sink = new FakeSink();
    const writer = await openAuditWriter({ file, syslog: sink, resolver, now: () => TIME });
    const written = [
      writer.record(request(), decision({})),
      writer.record(request({ uid: 1002 }), decision({ permit: false, ruleIndex: null, audit: true })),
      writer.record(request({ uid: 4242, userName: 'given' }), decision({ audit: true })),
      writer.record(request({ uid: 4243 }), decision({ audit: true })),
    ];
    await writer.close();
    expect(written).toEqual([false, true, true, true]);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('earlier');
    const records = lines.slice(1, -1).map((l) => JSON.parse(l));
    expect(records.map((r) => [r.user.name, r.user.uid, r.effect, r.rule])).toEqual([
      ['bob', 1002, 'denied', null], ['given', 4242, 'permitted', 2], [null, 4243, 'permitted', 2],
    ]);
    expect(sink.lines).toEqual(lines.slice(1, -1).map((l) => `${l}\n`));
    expect(sink.closed).toBe(true);
  });

  test('a new audit file is created 0600', async () => {
    const file = join(tempDir(), 'new.log');
    const writer = await openAuditWriter({ file });
    await writer.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test('an audit file that cannot be opened is AUDIT_OPEN_FAILED', async () => {
    const file = join(tempDir(), 'missing-dir', 'audit.log');
    const err = await openAuditWriter({ file }).catch((e: unknown) => e);
    expect(isTakakryptError(err, 'AUDIT_OPEN_FAILED')).toBe(true);
    expect((err as Error).message).toBe(`expected to open audit file ${file} for appending, got: ENOENT: no such file or directory, open '${file}'`);
  });
});

describe('LoggerSyslogSink', () => {
  function fakeLogger(script: string): { command: string; out: string } {
    const dir = tempDir();
    const command = join(dir, 'logger');
    const out = join(dir, 'out');
    writeFileSync(command, script.replaceAll('OUT', out));
    chmodSync(command, 0o755);
    return { command, out };
  }

  test('passes each line to logger with tag and facility', async () => {
    const { command, out } = fakeLogger('#!/bin/sh\necho "$@" > OUT.args\ncat >> OUT\n');
    const sink = new LoggerSyslogSink({ command });
    sink.write('{"a":1}\n');
    sink.write('{"b":2}\n');
    await sink.close();
    expect(readFileSync(out, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(readFileSync(`${out}.args`, 'utf8')).toBe('-t takakrypt-audit -p authpriv.info --size 16384\n');
    expect(sink.broken).toBe(false);
  });

  test('a logger that dies is reported once and then skipped', async () => {
    const { command } = fakeLogger('#!/bin/sh\necho "socket /dev/log: No such file or directory" >&2\nexit 1\n');
    const errors: unknown[] = [];
    const logger = { error: (entry: unknown) => errors.push(entry) } as never;
    const sink = new LoggerSyslogSink({ command, logger });
    sink.write('{"a":1}\n');
    await new Promise<void>((resolve) => {
      const poll = () => (errors.length > 0 ? resolve() : setTimeout(poll, 10));
      poll();
    });
    sink.write('{"b":2}\n');
    await sink.close();
    expect(errors).toEqual([{
      code: 'AUDIT_SYSLOG_FAILED', message: 'audit syslog stopped',
      detail: 'expected logger to run until closed, got exit 1: socket /dev/log: No such file or directory',
    }]);
  });
});
