// The policy engine's public surface: compile a configuration once, then
// decide each request; see docs/POLICY.md for the semantics.
export { BROWSING_ACTIONS, COARSE_ACTIONS, expandActions, FINE_ACTIONS, isCoarseAction, isFineAction } from './actions';
export { compilePolicy, type CompileOptions } from './compile';
export type { CompiledConfig, CompiledPolicy, CompiledRule } from './compiled';
export { decide, keyChoiceFor, pathFreeKeyChoice, type KeyChoice } from './decide';
export { explainDecision, type RuleExplanation } from './explain';
export { findGuardPoint, type GuardPointMatch } from './guard-points';
export { GetentResolver, StaticResolver, type GroupEntry, type NssResolver, type UserEntry } from './resolver';
export type { PolicyDecision, PolicyRequest } from './types';
export type { CompileWarning } from './warnings';
