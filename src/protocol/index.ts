export * from './messages.js';
export * from './codec.js';
export * from './retcodes.js';
