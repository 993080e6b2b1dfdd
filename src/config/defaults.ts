// Every default the loader fills in; docs/CONFIG.md lists the same values.
import type { AgentSettings, KeyStoreSettings } from './types';

/** Where the agent looks for its configuration when none is named. */
export const DEFAULT_CONFIG_FILE = '/etc/takakrypt/config.yaml';

/** The `agent:` section when a key is absent. */
export const AGENT_DEFAULTS: Readonly<AgentSettings> = {
  logFile: null,
  logLevel: 'info',
  auditFile: '/var/log/takakrypt/audit.log',
  auditSyslog: false,
  decisionCacheTtl: 30,
  kernelTimeout: 5,
  pidFile: '/run/takakrypt-agent.pid',
};

/** The `key_store:` section when a key is absent. */
export const KEY_STORE_DEFAULTS: Readonly<KeyStoreSettings> = {
  path: '/etc/takakrypt/keys',
};

/** Resource entries: the guard point itself, every name, every subfolder. */
export const RESOURCE_DEFAULTS = { directory: '/', file: '*', subfolders: true } as const;

/** Policies and rules: enforcing, no browsing beyond the rule's actions, nothing excluded. */
export const RULE_DEFAULTS = { learnMode: false, browsing: false, exclude: false } as const;

/** Guard points are mounted by the agent at start unless marked manual. */
export const GUARD_POINT_DEFAULT_MODE = 'auto';
