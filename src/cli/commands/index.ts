// Every top-level command of takakrypt-agent, one module each.
import type { CommandModule } from 'yargs';
import { configCommand } from './config';
import { keysCommand } from './keys';
import { policyCommand } from './policy';
import { reloadCommand } from './reload';
import { restartCommand } from './restart';
import { startCommand } from './start';
import { statusCommand } from './status';
import { stopCommand } from './stop';
import { transformCommand } from './transform';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  configCommand,
  keysCommand,
  policyCommand,
  reloadCommand,
  restartCommand,
  startCommand,
  statusCommand,
  stopCommand,
  transformCommand,
];
