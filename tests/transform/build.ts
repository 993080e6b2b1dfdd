// Build dist/ for tests that run the real executable, unless it is newer
// than every source file already (tsc takes many seconds on a busy machine).
import { spawnSync } from 'child_process';
import { readdirSync, statSync } from 'fs';
import path from 'path';

const repo = path.resolve(__dirname, '../..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Path of the built CLI, compiled first when any source is newer. */
export function builtCli(): string {
  const cli = path.join(repo, 'dist/cli/main.js');
  const built = (() => {
    try {
      return statSync(cli).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built < newestSource(path.join(repo, 'src'))) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'ignore' });
  return cli;
}
