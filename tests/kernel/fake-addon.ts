// A stand-in for the native addon: the real constants and codec, and a
// Channel that records commands and lets a test play the kernel.
import {
  loadAddon,
  type NativeAddon,
  type NativeChannel,
  type NativeCipherTable,
  type NativeCryptRequest,
  type NativeFault,
  type NativeRequest,
} from '../../src/kernel/native';

type Outcome = Error & { code?: string; syscall?: string };

export class FakeKernel {
  sent: Array<[string, unknown]> = [];
  /** Errors to reject the next command of each kind with. */
  failNext = new Map<string, Outcome>();
  openError: Outcome | null = null;
  onRequest: ((r: NativeRequest) => void) | null = null;
  onEvent: ((f: NativeFault) => void) | null = null;
  onCrypt: ((r: NativeCryptRequest) => void) | null = null;
  onPoolLow: ((guardPoint: string, policyName: string, pooled: number) => void) | null = null;
  closed = false;
  /** The table the agent handed to serveData, if any, and its low-water mark. */
  dataTable: NativeCipherTable | null = null;
  lowWater: number | undefined = undefined;

  /** An addon whose Channel talks to this fake kernel. */
  addon(): NativeAddon {
    const real = loadAddon();
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- captured by the class below
    const kernel = this;
    class Channel implements NativeChannel {
      familyId = 0x21;
      portId = 4242;
      droppedForeign = 0;
      servedInAddon = 0;
      constructor(
        onRequest: (r: NativeRequest) => void,
        onEvent: (f: NativeFault) => void,
        onCrypt?: (r: NativeCryptRequest) => void,
        onPoolLow?: (guardPoint: string, policyName: string, pooled: number) => void,
      ) {
        if (kernel.openError) throw kernel.openError;
        kernel.onRequest = onRequest;
        kernel.onEvent = onEvent;
        kernel.onCrypt = onCrypt ?? null;
        kernel.onPoolLow = onPoolLow ?? null;
      }
      get closed(): boolean {
        return kernel.closed;
      }
      register = (v: unknown) => kernel.command('register', v);
      unregister = () => kernel.command('unregister', undefined);
      setGeneration = (v: unknown) => kernel.command('setGeneration', v);
      reply = (v: unknown) => kernel.command('reply', v);
      cryptReply = (v: unknown) => kernel.command('cryptReply', v);
      close = () => {
        kernel.sent.push(['close', undefined]);
        kernel.closed = true;
      };
      ref = () => undefined;
      unref = () => undefined;
      serveData = (table: NativeCipherTable | null, lowWater?: number) => {
        kernel.dataTable = table;
        kernel.lowWater = lowWater;
      };
    }
    return { ...real, Channel };
  }

  command(kind: string, value: unknown): Promise<void> {
    this.sent.push([kind, value]);
    const err = this.failNext.get(kind);
    this.failNext.delete(kind);
    return err ? Promise.reject(err) : Promise.resolve();
  }

  /** Ask the agent something, as the kernel would. */
  request(over: Partial<NativeRequest> = {}): void {
    this.onRequest?.({
      requestId: 5, pid: 300, uid: 1000, gid: 1000, action: 0, flags: 0,
      inode: 99n, generation: 3n, groups: [1000, 4], exe: '/usr/bin/cat',
      guardPoint: '/gp', path: '/a.txt', policyName: 'p', ...over,
    });
  }
}

/** Ask the agent's data path something, as the kernel would (a DECRYPT of one unit by default). */
export function cryptRequest(over: Partial<NativeCryptRequest> = {}): NativeCryptRequest {
  return {
    requestId: 8, op: 4, pid: 300, uid: 1000, inode: 99n, firstUnit: 0, length: 10,
    header: Buffer.alloc(4096), data: Buffer.alloc(10), guardPoint: '/gp', path: '/a.txt', policyName: 'p', ...over,
  };
}

/** An Error like the addon's: message, errno name and call. */
export function nativeError(code: string, message: string, syscall = 'sendto'): Outcome {
  return Object.assign(new Error(message), { code, syscall });
}

/** Let promise callbacks queued so far run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
