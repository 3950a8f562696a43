/** The command line's parser (kit.ts) for every verb: a negative number after an option is that option's value. */
import { describe, expect, it } from 'vitest';
import { negativeValues, parseVerbArgs, UsageError, type Verb } from '../../src/cli/kit.js';

const verb: Verb = {
  name: 'try',
  args: '<file.json>',
  summary: '',
  options: {
    balance: { type: 'string', help: '' },
    indicator: { type: 'string', short: 'i', multiple: true, help: '' },
    json: { type: 'boolean', help: '' },
    data: { type: 'string', help: '' },
  },
  examples: [],
  run: () => 0,
};

describe('negative numbers after an option', () => {
  it('are its value, long and short, whole and decimal', () => {
    const r = parseVerbArgs(verb, ['a.json', '--balance', '-5', '-i', '-0.5', '--indicator', '-.25', '--json']);
    expect(r).toEqual({ values: { balance: '-5', indicator: ['-0.5', '-.25'], json: true }, positionals: ['a.json'] });
    expect(negativeValues(verb, ['--balance', '-5'])).toEqual(['--balance=-5']);
    expect(negativeValues(verb, ['-i', '-5'])).toEqual(['-i-5']);
  });

  it('only after an option that takes a value, only numbers, and not after --', () => {
    expect(negativeValues(verb, ['--json', '-5'])).toEqual(['--json', '-5']);
    expect(negativeValues(verb, ['--data', '-x.csv'])).toEqual(['--data', '-x.csv']);
    expect(negativeValues(verb, ['--', '--balance', '-5'])).toEqual(['--', '--balance', '-5']);
    expect(() => parseVerbArgs(verb, ['--data', '-x.csv'])).toThrow(UsageError);
  });
});

describe('arguments besides the options', () => {
  it('a verb whose usage names none (or only options: ml\'s "--data <bars.csv>") refuses one, naming the option a file was likely meant for', () => {
    const none: Verb = { ...verb, args: '--data <bars.csv> --strategy <s.json>' };
    expect(() => parseVerbArgs(none, ['--data', 'x.csv', 'extra'])).toThrow(new UsageError("try takes no arguments besides its options; got 'extra'"));
    expect(() => parseVerbArgs(none, ['bars.csv'])).toThrow(new UsageError("try takes no arguments besides its options; got 'bars.csv' — did you mean --data bars.csv?"));
    const { args: _args, ...bare } = verb;
    expect(() => parseVerbArgs({ ...bare, options: {} }, ['a', 'b'])).toThrow(new UsageError("try takes no arguments; got 'a', 'b'"));
    expect(parseVerbArgs(verb, ['a.json', '--json'])).toEqual({ values: { json: true }, positionals: ['a.json'] });
  });
});
