import { ACTION_NAMES, actionName, actionNumber } from '../../src/kernel/actions';
import { headerEnum } from './header';

const wire = headerEnum('takakrypt_action');
const fromHeader = [...wire.entries()]
  .filter(([name]) => name !== 'TAKAKRYPT_ACTION_COUNT')
  .map(([name, n]) => [n, name.replace('TAKAKRYPT_ACTION_', '').toLowerCase()] as const);

describe('action table against takakrypt.h', () => {
  test('has one name per action of the header', () => {
    expect(ACTION_NAMES.length).toBe(wire.get('TAKAKRYPT_ACTION_COUNT'));
    expect(fromHeader.length).toBe(ACTION_NAMES.length);
  });

  test.each(fromHeader)('action %i is %s', (n, name) => {
    expect(ACTION_NAMES[n]).toBe(name);
    expect(actionName(n)).toBe(name);
    expect(actionNumber(name)).toBe(n);
  });
});

describe('unknown actions', () => {
  test.each([[-1], [20], [1.5], [Number.NaN]])('actionName(%p) is undefined', (n) => {
    expect(actionName(n)).toBeUndefined();
  });

  test.each([['read'], ['F_RD'], [''], ['all_ops']])('actionNumber(%p) is undefined', (name) => {
    expect(actionNumber(name)).toBeUndefined();
  });
});
