/**
 * Ctrl-C handling: the first SIGINT aborts the work in flight (training saves, loops stop after
 * the current step, no partial files); a second one exits at once.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupting after the current step (Ctrl-C again to quit now)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return controller.signal;
}
