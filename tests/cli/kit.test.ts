/** The command line's parser (kit.ts) for every verb: a negative number after an option is that option's value. */
import { describe, expect, it } from 'vitest';
import { negativeValues, parseVerbArgs, UsageError, type Verb } from '../../src/cli/kit.js';

const verb: Verb = {
  name: 'try',
  args: '<file>',
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

describe('a verb that takes no file', () => {
  it('refuses one, naming it', () => {
    const { args: _file, ...bare } = verb;
    expect(() => parseVerbArgs(bare, ['a.json'])).toThrow(/try takes no arguments besides its options; got 'a\.json'/);
    expect(parseVerbArgs(bare, ['--json'])).toEqual({ values: { json: true }, positionals: [] });
  });
});
