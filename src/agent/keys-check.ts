// The start-time key check: every key a key rule names must be in the key
// store, or the agent refuses to start (data meant to be encrypted must
// never be written in the clear because a key went missing).
import type { Config } from '../config/types';
import { createError } from '../errors';
import type { KeyProvider } from '../keys/provider';

/** Key names the configuration's key rules need, without clear_key. */
export function requiredKeys(config: Config): Map<string, string[]> {
  const needed = new Map<string, string[]>();
  for (const policy of config.policies) {
    for (const rule of policy.keyRules) {
      if (rule.key === 'clear_key') continue;
      const users = needed.get(rule.key) ?? [];
      users.push(`${policy.name} key_rules[${rule.index}]`);
      needed.set(rule.key, users);
    }
  }
  return needed;
}

/** Throw AGENT_KEY_MISSING naming every missing key and the rules that need it. */
export async function checkKeys(config: Config, provider: KeyProvider): Promise<void> {
  const needed = requiredKeys(config);
  if (needed.size === 0) return;
  const present = new Set((await provider.list()).map((info) => info.name));
  const missing = [...needed].filter(([name]) => !present.has(name));
  if (missing.length === 0) return;
  const lines = missing.map(([name, rules]) => `key "${name}" (needed by ${rules.join(', ')}): expected in the key store ${config.keyStore.path}, not found`);
  throw createError('AGENT_KEY_MISSING', lines.join('\n'), { missing: missing.map(([name]) => name) });
}

/** True when some process set names a SHA-256 signature, so executables must be hashed. */
export function needsSignatures(config: Config): boolean {
  return config.processSets.some((set) => set.processes.some((entry) => entry.sha256 !== null));
}
