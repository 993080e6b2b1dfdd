// The control socket beside the pid file: the CLI asks the running agent
// for its status, a reload or a stop, one JSON line each way. The socket
// is mode 0600, so only root (the agent's owner) can use it.
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, Server } from 'node:net';
import { createError } from '../errors';

export type ControlRequest =
  | { cmd: 'status' }
  | { cmd: 'reload' }
  | { cmd: 'stop'; keepMounts: boolean };

/** Every reply: ok plus command-specific fields, or an error code and message. */
export type ControlReply =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; code: string; message: string; problems?: string[] };

export type ControlHandler = (request: ControlRequest) => Promise<ControlReply>;

const MAX_LINE = 4096;

function parseRequest(line: string): ControlRequest | null {
  try {
    const value = JSON.parse(line) as { cmd?: unknown; keepMounts?: unknown };
    if (value.cmd === 'status' || value.cmd === 'reload') return { cmd: value.cmd };
    if (value.cmd === 'stop') return { cmd: 'stop', keepMounts: value.keepMounts === true };
  } catch {
    // fall through: a malformed request gets an error reply
  }
  return null;
}

/** Listen on `path` (replacing a stale socket file) and serve `handler`. */
export function serveControl(path: string, handler: ControlHandler): Promise<Server> {
  try {
    unlinkSync(path);
  } catch {
    // absent: nothing to replace
  }
  const server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0 && buffer.length < MAX_LINE) return;
      socket.removeAllListeners('data');
      const request = parseRequest(buffer.slice(0, newline < 0 ? MAX_LINE : newline));
      const reply: Promise<ControlReply> = request
        ? handler(request)
        : Promise.resolve({ ok: false, code: 'AGENT_CONTROL_FAILED', message: 'expected a JSON control request line' });
      void reply.then((r) => socket.end(`${JSON.stringify(r)}\n`));
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve(server);
    });
  });
}

/** Send one request to the agent's control socket and return its reply. */
export function callControl(path: string, request: ControlRequest, timeoutMs = 30000): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    const fail = (message: string) => {
      socket.destroy();
      reject(createError('AGENT_CONTROL_FAILED', `control socket ${path}: ${message}`, { path }));
    };
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => fail(`expected an answer within ${timeoutMs} ms, got none`));
    socket.on('error', (err) => fail(err.message));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(buffer) as ControlReply);
      } catch {
        fail(`expected a JSON reply, got ${JSON.stringify(buffer.slice(0, 80))}`);
      }
    });
  });
}
