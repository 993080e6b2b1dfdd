#!/usr/bin/env node
// Guest side of tests/vm/addon/02-mount.sh. Modes:
//   check DIR     the checks, on mount points under DIR; exits 1 on failure
//   mount DIR     one tmpfs mount attempt, printing the outcome
'use strict';
const { execFile } = require('node:child_process');
const { closeSync, mkdirSync, openSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { promisify } = require('node:util');

const kernel = require(join(process.env.TK_REPO, 'dist/kernel/index.js'));
let failures = 0;

function check(name, expected, found) {
  const [e, f] = [JSON.stringify(expected), JSON.stringify(found)];
  console.log(e === f ? `mount-test: ok: ${name}` : `mount-test: FAIL: ${name}: expected ${e}, got ${f}`);
  if (e !== f) failures++;
}

// Options of the mount at `target` in /proc/self/mounts, or null.
function mountOptions(target) {
  const line = readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === target);
  return line ? line.split(' ')[3].split(',') : null;
}

const outcome = (p) => p.then(() => 'ok', (e) => `${e.code}: ${e.message}`);

async function checks(dir) {
  const target = join(dir, 'tmpfs');
  mkdirSync(target, { recursive: true });
  check('mount', 'ok', await outcome(kernel.mount({ source: 'none', target, fstype: 'tmpfs', data: 'size=1m', noExec: true, noSuid: true })));
  const options = mountOptions(target) || [];
  check('flags and data reach the kernel', [true, true, true], ['noexec', 'nosuid', 'size=1024k'].map((o) => options.includes(o)));

  const fd = openSync(join(target, 'open-file'), 'w');
  check('busy unmount', `KERNEL_UNMOUNT_FAILED: expected unmount of ${target} to succeed, got EBUSY: Device or resource busy`,
    await outcome(kernel.unmount(target)));
  closeSync(fd);
  check('unmount', 'ok', await outcome(kernel.unmount(target)));
  check('unmounted', null, mountOptions(target));

  check('unknown filesystem type', `KERNEL_MOUNT_FAILED: expected mount of nosuchfs none on ${target} to succeed, got ENODEV: No such device`,
    await outcome(kernel.mount({ source: 'none', target, fstype: 'nosuchfs' })));
  const r = await promisify(execFile)('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, __filename, 'mount', target])
    .catch((e) => e);
  check('unprivileged mount', `KERNEL_MOUNT_FAILED: expected mount of tmpfs none on ${target} to succeed, got EPERM: Operation not permitted`,
    `${r.stdout}${r.stderr || ''}`.trim());
}

async function main() {
  const [mode, dir] = process.argv.slice(2);
  if (mode === 'mount') {
    console.log(await outcome(kernel.mount({ source: 'none', target: dir, fstype: 'tmpfs' })));
    return;
  }
  await checks(dir);
  console.log(failures ? `mount-test: ${failures} check(s) failed` : 'mount-test: all checks passed');
  process.exitCode = failures ? 1 : 0;
}

main().catch((e) => {
  console.log(`mount-test: FAIL: ${e.stack}`);
  process.exitCode = 1;
});
