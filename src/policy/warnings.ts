// Compile-time warnings: problems that do not stop a policy from loading
// but change what it matches. Each carries a documented code.
import type { SourcePosition } from '../config/types';

/** The documented codes of compile-time warnings (docs/ERRORS.md). */
export type WarningCode = 'POLICY_NAME_UNRESOLVED' | 'POLICY_EXCLUDE_WITHOUT_SET' | 'POLICY_EFFECT_DEFAULTED';

/** One compile-time warning, with where in the configuration it comes from. */
export interface CompileWarning {
  code: WarningCode;
  message: string;
  position: SourcePosition;
}

/** Collects warnings while compiling. */
export type WarningSink = (warning: CompileWarning) => void;

/** "file:line:column" for messages. */
export function where(position: SourcePosition): string {
  return `${position.file}:${position.line}:${position.column}`;
}
