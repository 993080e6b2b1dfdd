// Shared set-up for key store tests: private temporary directories.
import { mkdtempSync, rmSync } from 'fs';
import os from 'os';
import path from 'path';

/** A fresh 0700 directory under the system temp dir; remove with cleanup(). */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
