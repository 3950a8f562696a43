export * from './messages.js';
export * from './codec.js';
export * from './retcodes.js';
export * from './errors.js';
export * from './contract.js';
