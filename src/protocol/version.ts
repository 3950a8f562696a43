// The bridge protocol's version, alone in a module: `mt5-executor version` reads it without loading the schemas.

/**
 * Version policy: one integer. Adding an optional field or a new message type that the other side may
 * ignore does not change it (receivers ignore unknown fields and answer unknown types with ERROR).
 * Removing or renaming a field, changing a field's type or meaning, or adding a required field raises it.
 * The host accepts HELLO versions from MIN_PROTOCOL_VERSION to PROTOCOL_VERSION and answers with its own.
 */
export const PROTOCOL_VERSION = 1;
export const MIN_PROTOCOL_VERSION = 1;
