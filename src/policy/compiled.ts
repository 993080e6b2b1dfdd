// The indexed form of a configuration's policies that decide() evaluates.
import type { FineAction, SecurityRule } from '../config/types';
import type { SetMarks } from './marks';
import type { SetIndex } from './set-index';
import type { CompileWarning } from './warnings';

/** One security rule with its sets resolved to ids in the SetIndex; -1 imposes no restriction. */
export interface CompiledRule {
  index: number;
  userSet: number;
  processSet: number;
  resourceSet: number;
  excludeUserSet: boolean;
  excludeProcessSet: boolean;
  excludeResourceSet: boolean;
  /** The rule's own actions, expanded to fine-grained ones. */
  actions: ReadonlySet<FineAction>;
  browsing: boolean;
  /** True for permit; a rule without permit is a deny. */
  permit: boolean;
  applyKey: boolean;
  audit: boolean;
  /** The effects as written, for reasons and audit records ("permit,applykey"). */
  effectText: string;
  source: SecurityRule;
}

/** One key rule; resourceSet -1 covers every resource, key null is clear_key. */
export interface CompiledKeyRule {
  index: number;
  resourceSet: number;
  key: string | null;
}

/** A policy ready for decide(). */
export interface CompiledPolicy {
  name: string;
  learnMode: boolean;
  rules: CompiledRule[];
  /** For each fine action, the rules that can decide it (own actions or browsing), in order. */
  rulesByAction: ReadonlyMap<FineAction, readonly CompiledRule[]>;
  keyRules: CompiledKeyRule[];
  /** Some process set of this policy has signatures. */
  needsExeSha256: boolean;
}

/** Every policy of a configuration, and which guard point uses which. */
export interface CompiledConfig {
  policies: ReadonlyMap<string, CompiledPolicy>;
  /** Guard point path (absolute, normalised) -> its policy. */
  guardPoints: ReadonlyMap<string, CompiledPolicy>;
  warnings: CompileWarning[];
  /** Every set of the configuration, indexed by what requests carry. */
  index: SetIndex;
  /** Scratch marks reused by decide(); one compiled configuration serves one thread. */
  marks: SetMarks;
  /** Some policy in use needs the executable's SHA-256 in requests. */
  needsExeSha256: boolean;
}
