import { type ErrorKind, SvdecodeError } from '@svdecode/core';

/** Exit status per kind of failure (sysexits.h where one fits), so scripts can tell them apart. */
export const EXIT_CODES: Record<ErrorKind | 'aborted', number> = {
  usage: 2, // bad flags or values, a steering file for another model
  input: 65, // EX_DATAERR: malformed rows, vocab mismatch, NaN logits, non-finite mu_bar
  file: 66, // EX_NOINPUT: missing or malformed model, adapter, tokenizer files
  environment: 69, // EX_UNAVAILABLE: no usable backend
  internal: 70, // EX_SOFTWARE: a bug
  aborted: 130, // interrupted (Ctrl-C)
};

export function exitCodeOf(error: SvdecodeError): number {
  if (error.code === 'ABORTED') return EXIT_CODES.aborted;
  if (error.code === 'BAD_ARGUMENT') return EXIT_CODES.usage; // flags that contradict each other
  return EXIT_CODES[error.kind];
}

/** Any thrown value as an SvdecodeError (unknown errors are internal; Node's file errors are file errors). */
export function asSvdecodeError(error: unknown): SvdecodeError {
  if (error instanceof SvdecodeError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' || e?.code === 'EACCES' || e?.code === 'EISDIR' || e?.code === 'ENOTDIR') {
    return new SvdecodeError('FILE_NOT_FOUND', `${e.path ?? 'a file'}: ${e.message}`, {
      hint: 'Check the path and its permissions.',
      details: { path: e.path, errno: e.code },
      cause: error,
    });
  }
  return new SvdecodeError('INTERNAL', e?.message ?? String(error), { cause: error });
}
