// Errors with stable codes, shared by the poller and the command line. Pure: no I/O.

/** Every stable error code switchyard reports; the README's error table lists the same codes. */
export type ErrorCode =
  | 'SWY_CONFIG_INVALID'
  | 'SWY_CONFIG_UNREADABLE'
  | 'SWY_UPSTREAM_UNAVAILABLE'
  | 'SWY_UPSTREAM_HTTP_STATUS'
  | 'SWY_UPSTREAM_MALFORMED'
  | 'SWY_UPSTREAM_NO_LEADER'
  | 'SWY_STATE_FILE_UNREADABLE'
  | 'SWY_DNS_FORWARD_FAILED'
  | 'SWY_LISTEN_FAILED';

export class SwitchyardError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SwitchyardError';
    this.code = code;
  }
}

/** `error` itself when it already carries a stable code; anything else wrapped under `code`, with it as the cause. */
export function asSwitchyardError(error: unknown, code: ErrorCode, what: string): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  return new SwitchyardError(code, `${what}: ${String(error)}`, { cause: error });
}
