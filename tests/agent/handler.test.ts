import { createQueryHandler, HandlerDeps } from '../../src/agent/handler';
import type { PolicyDecision, PolicyRequest } from '../../src/policy/types';
import { decision, fakeEngine, memoryLogger, query, sinks } from './fakes';

const TTL = 30000;

function setup(decide: (r: PolicyRequest) => PolicyDecision, overrides: Partial<HandlerDeps> = {}, needsSignatures = false) {
  const out = sinks();
  const log = memoryLogger();
  const engine = fakeEngine(decide, needsSignatures);
  const hashed: string[] = [];
  const deps: HandlerDeps = {
    snapshot: () => ({ engine, cacheTtlMs: TTL }),
    answer: (a) => {
      out.answers.push(a);
    },
    audit: { record: (request, d) => { out.audits.push({ request, decision: d }); } },
    hasher: { sha256: async (exe) => { hashed.push(exe); return 'ab'.repeat(32); } },
    userName: (uid) => (uid === 1000 ? 'alice' : undefined),
    logger: log.logger,
    ...overrides,
  };
  return { handle: createQueryHandler(deps), out, engine, log, hashed };
}

describe('query handler decisions', () => {
  test.each([
    ['permit', decision(), { permit: true, applyKey: false, audit: false, cacheTtlMs: TTL, anyObject: false }, 0],
    ['permit,applykey', decision({ applyKey: true }), { permit: true, applyKey: true, audit: false, cacheTtlMs: TTL, anyObject: false }, 0],
    ['permit,audit', decision({ audit: true }), { permit: true, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false }, 1],
    ['deny', decision({ permit: false, reason: 'rule 1 denies' }), { permit: false, applyKey: false, audit: false, cacheTtlMs: TTL, anyObject: false }, 1],
    ['deny,audit', decision({ permit: false, audit: true }), { permit: false, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false }, 1],
    ['deny with applykey', decision({ permit: false, applyKey: true }), { permit: false, applyKey: false, audit: false, cacheTtlMs: TTL, anyObject: false }, 1],
    ['no rule matched', decision({ permit: false, audit: true, ruleIndex: null }), { permit: false, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false }, 1],
    ['permit for any object', decision({ anyObject: true }), { permit: true, applyKey: false, audit: false, cacheTtlMs: TTL, anyObject: true }, 0],
    ['deny for any object', decision({ permit: false, anyObject: true }), { permit: false, applyKey: false, audit: false, cacheTtlMs: TTL, anyObject: true }, 1],
    ['audited, for any object', decision({ audit: true, anyObject: true }), { permit: true, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false }, 1],
    ['learn mode flagged permit', decision({ permit: true, audit: true, learnMode: true }), { permit: true, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false }, 1],
  ])('%s', async (_name, d, expected, auditCount) => {
    const { handle, out } = setup(() => d);
    await handle(query({ id: 99 }));
    expect(out.answers).toEqual([{ id: 99, ...expected }]);
    expect(out.audits).toHaveLength(auditCount);
    if (auditCount > 0) expect(out.audits[0].decision).toEqual(d);
  });
});

describe('query handler requests', () => {
  test('builds the policy request from the query with the user name', async () => {
    const { handle, engine } = setup(() => decision());
    await handle(query({ action: 'f_wr', isDirectory: false }));
    expect(engine.requests).toEqual([{
      guardPoint: '/srv/docs', path: '/a.txt', isDirectory: false, action: 'f_wr', uid: 1000, gid: 1000,
      groups: [1000, 27], exe: '/usr/bin/cat', pid: 4242, userName: 'alice',
    }]);
  });

  test.each([
    [false, undefined, []],
    [true, 'ab'.repeat(32), ['/usr/bin/cat']],
  ])('signatures needed=%s: exeSha256 %s', async (needs, sha, hashedExes) => {
    const { handle, engine, hashed } = setup(() => decision(), {}, needs);
    await handle(query());
    expect(engine.requests[0].exeSha256).toBe(sha);
    expect(hashed).toEqual(hashedExes);
  });

  test('an unknown uid leaves userName out', async () => {
    const { handle, engine } = setup(() => decision());
    await handle(query({ uid: 4321 }));
    expect('userName' in engine.requests[0]).toBe(false);
  });

  test('the audit record carries user, executable, action and path', async () => {
    const { handle, out } = setup(() => decision({ permit: false, audit: true }));
    await handle(query({ uid: 1000, exe: '/usr/bin/tee', action: 'f_wr', path: '/secret.txt' }));
    expect(out.audits[0].request).toMatchObject({ userName: 'alice', uid: 1000, exe: '/usr/bin/tee', action: 'f_wr', path: '/secret.txt' });
  });
});

describe('query handler failures answer deny', () => {
  const boom = () => {
    throw new Error('compiled policy is corrupt');
  };

  test.each([
    ['decide throws', { }, boom],
    ['user lookup throws', { userName: () => { throw new Error('nss down'); } }, () => decision()],
    ['snapshot throws', { snapshot: () => { throw new Error('no policy loaded'); } }, () => decision()],
  ] as [string, Partial<HandlerDeps>, () => PolicyDecision][])('%s', async (_name, overrides, decide) => {
    const { handle, out, log } = setup(decide, overrides);
    await expect(handle(query({ id: 5 }))).resolves.toBeUndefined();
    expect(out.answers).toEqual([{ id: 5, permit: false, applyKey: false, audit: true, cacheTtlMs: 0, anyObject: false }]);
    expect(out.audits).toHaveLength(1);
    expect(out.audits[0].decision.permit).toBe(false);
    expect(out.audits[0].decision.reason).toMatch(/^internal error: /);
    const errors = log.lines().filter((l) => l.level === 'error');
    expect(errors.map((l) => l.message)).toEqual(['policy query failed; denying']);
    expect(errors[0].requestId).toBe(5);
  });

  test('an audit sink that throws still answers, and logs', async () => {
    const { handle, out, log } = setup(() => decision({ permit: false }), {
      audit: { record: () => { throw new Error('disk full'); } },
    });
    await handle(query({ id: 6 }));
    expect(out.answers).toEqual([{ id: 6, permit: false, applyKey: false, audit: false, cacheTtlMs: TTL, anyObject: false }]);
    expect(log.lines().filter((l) => l.level === 'error').map((l) => [l.message, l.error])).toEqual([['audit record not written', 'disk full']]);
  });

  test('an answer that fails is logged, not thrown', async () => {
    const { handle, log } = setup(() => decision(), { answer: () => { throw new Error('ENOBUFS'); } });
    await expect(handle(query({ id: 8 }))).resolves.toBeUndefined();
    expect(log.lines().filter((l) => l.level === 'error').map((l) => l.message)).toEqual(['answer not delivered']);
  });
});

describe('query handler logging and concurrency', () => {
  test('a child logger per request carries its id at debug level', async () => {
    const { handle, log } = setup(() => decision());
    await handle(query({ id: 11 }));
    const debug = log.lines().filter((l) => l.level === 'debug');
    expect(debug.map((l) => [l.message, l.requestId])).toEqual([['policy query', 11], ['policy decision', 11]]);
  });

  test('at info level a permitted query formats no log line at all', async () => {
    const log = memoryLogger('info');
    const { handle, out } = setup(() => decision(), { logger: log.logger });
    await handle(query({ id: 12 }));
    expect([out.answers.length, log.formatted()]).toEqual([1, 0]);
  });

  test('requests run concurrently: a slow lookup does not hold up others', async () => {
    let release: (name: string) => void = () => undefined;
    const slow = new Promise<string>((resolve) => { release = resolve; });
    const { handle, out } = setup(() => decision(), { userName: (uid) => (uid === 1 ? slow : 'bob') });
    const first = handle(query({ id: 1, uid: 1 }));
    await handle(query({ id: 2, uid: 2 }));
    expect(out.answers.map((a) => a.id)).toEqual([2]);
    release('root');
    await first;
    expect(out.answers.map((a) => a.id)).toEqual([2, 1]);
  });
});
