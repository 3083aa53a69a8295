/**
 * @jupyterlab/services announces every kernel websocket it opens
 * ("Starting WebSocket: ...") and every kernel status it polls with
 * console.debug, which Node writes to stdout, where pyexec's commands and
 * benchmarks print their JSON. Those two announcements are dropped; any
 * other console.debug goes through unchanged.
 */
const announcements = [/^Starting WebSocket: /, /^Kernel: \S+ \(/];
let installed = false;

export function silenceJupyterServicesAnnouncements(): void {
  if (installed) return;
  installed = true;
  const debug = console.debug.bind(console);
  console.debug = (...args: unknown[]) => {
    const [first] = args;
    if (typeof first === 'string' && announcements.some((pattern) => pattern.test(first))) return;
    debug(...args);
  };
}
