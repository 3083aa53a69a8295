/**
 * Long-running processes (`pyexec serve`, `pyexec executor`) run until
 * SIGINT or SIGTERM, then stop gracefully: consumers stop taking work, jobs
 * in hand finish or go back to their queue, the connection drains. A second
 * signal ends the process at once.
 */
export function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
