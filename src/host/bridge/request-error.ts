/** A request to a terminal (an intent, HISTORY, SPEC, SNAPSHOT) that failed; `code` says how (TIMEOUT, DISCONNECTED, …). */
export class RequestError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}
