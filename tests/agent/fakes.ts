// Fakes shared by the agent tests: a decision engine driven by a table, an
// audit sink and a channel that record what they were given, and a logger
// whose JSON lines can be inspected.
import { Writable } from 'node:stream';
import winston from 'winston';
import type { DecisionEngine } from '../../src/agent/handler';
import type { PolicyAnswer, PolicyQuery } from '../../src/kernel/types';
import type { Logger } from '../../src/log/logger';
import type { PolicyDecision, PolicyRequest } from '../../src/policy/types';

/** A decision with every field filled; override what a case needs. */
export function decision(overrides: Partial<PolicyDecision> = {}): PolicyDecision {
  return {
    permit: true, applyKey: false, audit: false, ruleIndex: 0, policy: 'office-policy',
    keyName: null, learnMode: false, reason: 'rule 0 permits', ...overrides,
  };
}

/** A kernel query for uid 1000 running /usr/bin/cat on /srv/docs/a.txt. */
export function query(overrides: Partial<PolicyQuery> = {}): PolicyQuery {
  return {
    id: 7, guardPoint: '/srv/docs', path: '/a.txt', isDirectory: false, action: 'f_rd',
    pid: 4242, uid: 1000, gid: 1000, groups: [1000, 27], exe: '/usr/bin/cat', inode: '12', ...overrides,
  };
}

/** An engine that answers `decide` with a function and records every request. */
export function fakeEngine(decide: (r: PolicyRequest) => PolicyDecision, needsSignatures = false): DecisionEngine & { requests: PolicyRequest[] } {
  const requests: PolicyRequest[] = [];
  return {
    needsSignatures,
    requests,
    decide: (request) => {
      requests.push(request);
      return decide(request);
    },
  };
}

/**
 * A logger writing JSON lines into memory, with the parsed lines and how
 * many lines reached its formats (whatever their level).
 */
export function memoryLogger(level: 'debug' | 'info' = 'debug'): { logger: Logger; lines: () => Record<string, unknown>[]; formatted: () => number } {
  const chunks: string[] = [];
  let count = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const counting = winston.format((info) => {
    count += 1;
    return info;
  });
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(counting(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  const lines = () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, formatted: () => count };
}

/** Collects answers and audit records. */
export function sinks(): { answers: PolicyAnswer[]; audits: { request: PolicyRequest; decision: PolicyDecision }[] } {
  return { answers: [], audits: [] };
}
