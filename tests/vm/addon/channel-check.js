#!/usr/bin/env node
// Guest side of tests/vm/addon/01-channel.sh: drives dist/kernel/ (the
// wrapper over the addon) against the loaded module. Modes:
//   agent GUARD_POINT   the checks; exits 1 if any failed
//   register            open and register once, print the outcome
//   register-and-exit   register, then exit without closing the channel
'use strict';
const { execFile } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { promisify } = require('node:util');

const kernel = require(join(process.env.TK_REPO, 'dist/kernel/index.js'));
const run = promisify(execFile);
let failures = 0;

function check(name, expected, found) {
  const e = JSON.stringify(expected);
  const f = JSON.stringify(found, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  if (e === f) {
    console.log(`addon-test: ok: ${name}`);
  } else {
    console.log(`addon-test: FAIL: ${name}: expected ${e}, got ${f}`);
    failures++;
  }
}

// The "agent:" line of /proc/takakrypt/status.
function agentStatus() {
  const line = readFileSync('/proc/takakrypt/status', 'utf8').split('\n').find((l) => l.startsWith('agent: '));
  return line ? line.slice('agent: '.length) : 'no agent line';
}

const outcome = (p) => p.then(() => 'ok', (e) => `${e.code}: ${e.message}`);

// Run this script again in another process; its printed outcome.
async function self(mode, prefix = []) {
  const [cmd, ...args] = [...prefix, process.execPath, __filename, mode];
  const r = await run(cmd, args).catch((e) => e);
  return `${r.stdout || ''}${r.stderr || ''}`.trim();
}

// From another process's netlink socket, a POLICY_REQ (cmd 4) of the
// family to the agent's port.
async function forge(port, family) {
  const py = [
    'import socket, struct, sys',
    's = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)',
    's.bind((0, 0))',
    'body = struct.pack("BBH", 4, 1, 0) + struct.pack("HH", 8, 1) + struct.pack("I", 7)',
    'msg = struct.pack("IHHII", 16 + len(body), int(sys.argv[2]), 0, 1, 0) + body',
    's.sendto(msg, (int(sys.argv[1]), 0))',
    'print("sent")',
  ].join('\n');
  const r = await run('python3', ['-c', py, String(port), String(family)]).catch((e) => e);
  return `${r.stdout || ''}${r.stderr || ''}`.trim();
}

// Argument checks of the native channel itself (the wrapper passes only
// what these accept).
function nativeArguments() {
  const addon = require(join(process.env.TK_REPO, 'dist/kernel/native.js')).loadAddon();
  const thrown = (f) => { try { f(); return 'no error'; } catch (e) { return e.message; } };
  const noop = () => undefined;
  check('a fourth constructor argument that is not a function',
    'expected (onRequest: function, onEvent: function, onCrypt?: function, onPoolLow?: function)',
    thrown(() => new addon.Channel(noop, noop, noop, 5)));
  const raw = new addon.Channel(noop, noop, noop, noop);
  const table = new addon.CipherTable(16);
  for (const bad of [-1, 257, 1.5, '8', Number.NaN]) {
    check(`serveData low-water mark ${String(bad)}`, 'expected serveData(table: CipherTable | null, lowWater?: integer 0..256)',
      thrown(() => raw.serveData(table, bad)));
  }
  check('serveData with a low-water mark', 'no error', thrown(() => raw.serveData(table, 32)));
  check('serveData(null) stops it', 'no error', thrown(() => raw.serveData(null)));
  raw.close();
}

async function agent(gp) {
  nativeArguments();
  const channel = kernel.KernelChannel.open();
  await channel.register();
  await channel.setGeneration(1n, 0);
  check('status while registered', false, agentStatus() === 'not connected');
  const queries = [];
  channel.onQuery((q) => {
    queries.push(q);
    const permit = !q.path.startsWith('/denied');
    channel.answer({ id: q.id, permit, applyKey: false, audit: false, cacheTtlMs: 0 }).catch((e) => {
      check(`answer to ${q.id}`, 'ok', `${e.code}: ${e.message}`);
    });
  });

  // Both children wait on our answers, so the JS thread must stay free.
  const write = await run('/bin/sh', ['-c', `echo hello >${gp}/allowed.txt && cat ${gp}/allowed.txt`]).then(
    (r) => r.stdout,
    (e) => `error: ${e.stderr}`,
  );
  check('permitted write then read', 'hello\n', write);
  const read = await run('cat', [`${gp}/denied.txt`]).then(() => 'read succeeded', (e) => e.stderr.trim());
  check('denied read', `cat: ${gp}/denied.txt: Permission denied`, read);
  const q = queries.find((x) => x.path === '/denied.txt' && x.action === 'f_rd');
  check('query of the denied read', { guardPoint: gp, exe: '/usr/bin/cat', uid: 0, gid: 0, isDirectory: false, policyName: 'addon_test' },
    q && { guardPoint: q.guardPoint, exe: q.exe, uid: q.uid, gid: q.gid, isDirectory: q.isDirectory, policyName: q.policyName });
  check('query inode is a decimal string', true, Boolean(q && /^[0-9]+$/.test(q.inode)));

  // Replies are not acknowledged: one the kernel refuses comes back as a
  // "rejected" fault naming it, and its promise has already settled.
  const faults = [];
  channel.onFault((f) => faults.push(f));
  check('answer to an unknown id settles', 'ok',
    await outcome(channel.answer({ id: 999999, permit: true, applyKey: false, audit: false, cacheTtlMs: 0 })));
  for (let i = 0; i < 50 && faults.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  check('answer to an unknown id is reported', [{ fault: 'rejected', code: 'ENOENT', message: 'the kernel refused POLICY_REPLY to request 999999: unknown or expired request_id' }],
    faults.map((f) => ({ fault: f.fault, code: f.code, message: f.message })));

  // A local process with CAP_NET_ADMIN (root here) may send to the
  // agent's port: such a message (a POLICY_REQ of the right family) is
  // dropped unread, and the receive thread goes on.
  const asked = queries.length;
  check('forged request sent', 'sent', await forge(channel.portId, channel.familyId));
  for (let i = 0; i < 50 && channel.droppedForeign === 0; i++) await new Promise((r) => setTimeout(r, 20));
  check('forged request dropped', { dropped: 1, queries: asked }, { dropped: channel.droppedForeign, queries: queries.length });
  const after = await run('cat', [`${gp}/allowed.txt`]).then((r) => r.stdout, (e) => `error: ${e.stderr}`);
  check('read after the forged request', 'hello\n', after);

  const second = kernel.KernelChannel.open();
  check('second agent refused', 'KERNEL_AGENT_BUSY: expected the kernel to accept REGISTER, got EBUSY: another agent is registered',
    await outcome(second.register()));
  await second.close();
  check('unprivileged agent refused',
    'KERNEL_PERMISSION_DENIED: expected the kernel to accept REGISTER, got EPERM: Operation not permitted (the agent needs CAP_SYS_ADMIN and CAP_NET_ADMIN)',
    await self('register', ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']));

  await channel.close();
  check('status after close', 'not connected', agentStatus());
  check('closed channel refuses commands', 'KERNEL_CHANNEL_CLOSED: expected the kernel to accept SET_GENERATION, got ESHUTDOWN: the channel is closed',
    await outcome(channel.setGeneration(2n, 0)));

  check('agent exiting without close', 'registered', await self('register-and-exit'));
  check('status after that exit', 'not connected', agentStatus());
  check('a new agent may register after it', 'ok', await self('register'));
}

async function main() {
  const [mode, gp] = process.argv.slice(2);
  if (mode === 'agent') {
    await agent(gp);
    console.log(failures ? `addon-test: ${failures} check(s) failed` : 'addon-test: all checks passed');
    process.exitCode = failures ? 1 : 0;
  } else if (mode === 'register') {
    const channel = kernel.KernelChannel.open();
    console.log(await outcome(channel.register()));
    await channel.close();
  } else if (mode === 'register-and-exit') {
    const channel = kernel.KernelChannel.open();
    await channel.register();
    console.log('registered');
    process.exit(0);
  }
}

main().catch((e) => {
  console.log(`addon-test: FAIL: ${e.code || ''} ${e.stack}`);
  process.exitCode = 1;
});
