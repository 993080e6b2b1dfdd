// What a file is now (plaintext, or encrypted under which key version) and
// what the requested transformation means for it. The header is the record
// of progress: a re-run after a crash finds converted files already done.
import type { FileHandle } from 'fs/promises';
import { detectHeader, HEADER_SIZE, parseHeader, type FileHeader } from '../crypto';

export type TransformMode = 'encrypt' | 'decrypt' | 'rekey';

/** The target of encrypt and rekey, resolved to a concrete version. */
export interface TargetKey {
  name: string;
  version: number;
}

export type FileState = { kind: 'plain' } | { kind: 'encrypted'; header: FileHeader; headerBytes: Buffer };

export type Decision =
  | { action: 'transform' }
  | { action: 'done'; why: string }
  | { action: 'skip'; why: string };

/** Read the first bytes of an open file and classify it (throws CRYPTO_* for a damaged header). */
export async function readFileState(handle: FileHandle, size: number): Promise<FileState> {
  const first = Buffer.alloc(Math.min(HEADER_SIZE, size));
  await handle.read(first, 0, first.length, 0);
  if (detectHeader(first, size) === 'no-header') return { kind: 'plain' };
  return { kind: 'encrypted', header: parseHeader(first), headerBytes: first };
}

function keyId(name: string, version: number): string {
  return `${name}:${version}`;
}

/** Decide what `mode` (towards `target`, for encrypt and rekey) does with a file in `state`. */
export function decide(mode: TransformMode, state: FileState, target: TargetKey | null): Decision {
  if (state.kind === 'plain') {
    if (mode === 'encrypt') return { action: 'transform' };
    if (mode === 'decrypt') return { action: 'done', why: 'already plaintext' };
    return { action: 'skip', why: 'expected an encrypted file to rekey, got plaintext; run "transform encrypt" first' };
  }
  const current = keyId(state.header.keyName, state.header.keyVersion);
  if (mode === 'decrypt') return { action: 'transform' };
  const wanted = keyId(target!.name, target!.version);
  if (mode === 'rekey') return current === wanted ? { action: 'done', why: `already under ${wanted}` } : { action: 'transform' };
  if (state.header.keyName === target!.name) return { action: 'done', why: `already encrypted under ${current}` };
  return { action: 'skip', why: `expected plaintext to encrypt, got a file encrypted under ${current}; use "transform rekey" to change its key` };
}
