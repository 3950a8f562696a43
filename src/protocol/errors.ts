/**
 * The codes of an ERROR message, sent by either side (the EA's copy is generated into Protocol.mqh as EB_ERR_*).
 * A code names what was wrong with a frame or a request; the message says it in words.
 */
export const ERROR_CODES = {
  /** not valid MessagePack, not a map with type and seq, a field of the wrong type or range (the message names it) */
  MALFORMED: 'MALFORMED',
  /** a message type id this side does not know */
  UNKNOWN_TYPE: 'UNKNOWN_TYPE',
  /** a frame over the size limit */
  TOO_LARGE: 'TOO_LARGE',
  /** a sequence number out of order */
  SEQ_GAP: 'SEQ_GAP',
  /** a request for a symbol or history the terminal does not have */
  NOT_FOUND: 'NOT_FOUND',
  /** a message this side never handles (e.g. a reply sent to the terminal) */
  UNEXPECTED: 'UNEXPECTED',
  /** a second HELLO on an authenticated session */
  ALREADY_HELLO: 'ALREADY_HELLO',
  /** a message only the other side sends */
  WRONG_DIRECTION: 'WRONG_DIRECTION',
} as const;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
