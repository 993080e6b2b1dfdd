// The production AgentDeps: the real configuration loader, policy
// compiler, key store, audit writer, kernel channel and mount(8).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openAuditWriter } from '../audit/writer';
import { LoggerSyslogSink } from '../audit/syslog';
import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { openStore } from '../keys/store-location';
import { compilePolicy } from '../policy/compile';
import { decide, keyChoiceFor, pathFreeKeyChoice } from '../policy/decide';
import { GetentResolver } from '../policy/resolver';
import type { AgentDeps } from './daemon';
import type { DecisionEngine } from './handler';
import { addonMounter, createUserNames, openKernelChannel } from './kernel-link';

/** The AgentDeps of a real agent process. */
export function productionDeps(): AgentDeps {
  const resolver = new GetentResolver();
  return {
    loadConfig: (file) => loadConfig(file),
    compile: (config) => compileEngine(config, resolver),
    openKeys: (config) => openStore({ store: config.keyStore.path }),
    openChannel: (log, onLost) => openKernelChannel(log, onLost),
    openAudit: (config) => openAudit(config, resolver),
    userName: createUserNames(),
    mounter: addonMounter,
    procRoot: '/proc',
    sysRoot: '/sys',
  };
}

function compileEngine(config: Config, resolver: GetentResolver): DecisionEngine {
  // A reload must see renamed users and changed group memberships.
  resolver.clear();
  const compiled = compilePolicy(config, resolver);
  return {
    needsSignatures: compiled.needsExeSha256,
    decide: (request) => decide(compiled, request),
    keyChoice: (guardPoint, policyName, path) => keyChoiceFor(compiled, guardPoint, policyName, path),
    pathFreeKey: (guardPoint, policyName) => pathFreeKeyChoice(compiled, guardPoint, policyName),
  };
}

async function openAudit(config: Config, resolver: GetentResolver) {
  mkdirSync(dirname(config.agent.auditFile), { recursive: true, mode: 0o700 });
  const syslog = config.agent.auditSyslog ? new LoggerSyslogSink() : null;
  return openAuditWriter({ file: config.agent.auditFile, syslog, resolver });
}
