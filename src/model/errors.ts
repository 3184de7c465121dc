// HiyError: the base of every error HIY throws on purpose — a stable code, structured data and the cause.

/** Data of an error: plain values a program may read (never a secret). */
export type ErrorData = object;

/**
 * An error HIY means to report: `code` is stable and is what code decides on (never the message, which is for
 * people and may be reworded); `data` carries the facts behind the message; `cause` the error it wraps. The CLI
 * prints it as one line (`error: MESSAGE`), never with a stack trace.
 */
export class HiyError<D extends ErrorData = Readonly<Record<string, unknown>>> extends Error {
  readonly code: string;
  readonly data: D;
  constructor(code: string, message: string, options: { data?: D; cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'HiyError';
    this.code = code;
    this.data = options.data ?? ({} as D);
  }
}

/** True for an error HIY threw on purpose (any subclass of HiyError). */
export function isHiyError(err: unknown): err is HiyError {
  return err instanceof HiyError;
}

/** True when `err` is a HiyError with this code. */
export function hasCode(err: unknown, code: string): err is HiyError {
  return err instanceof HiyError && err.code === code;
}

/** The message of anything thrown: an Error's message, or the value as text (a rejected promise may hold any). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
