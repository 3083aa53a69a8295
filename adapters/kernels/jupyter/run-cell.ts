/**
 * Runs one execute_request on a kernel and says how it ended: the kernel
 * replied, the wall-clock timeout fired (the kernel is interrupted; if it does
 * not answer within the grace period the caller kills it), the caller
 * cancelled, the kernel died (the server restarts dead kernels and tells the
 * client, which cancels the request), or the connection to the server was lost.
 *
 * A cell ends when both its reply (shell) and its idle status (IOPub) have
 * arrived, so every output is in.
 *
 * pyexec's server configuration adds how the dead process ended to the
 * "restarting" status message (`pyexec_exit_status`: the exit code, or minus
 * the signal number); other servers leave it null.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';

export type CellEnd =
  | { kind: 'replied'; reply: KernelMessage.IExecuteReplyMsg['content'] }
  | { kind: 'timeout' | 'cancelled'; answeredInterrupt: boolean }
  | { kind: 'died'; exitStatus: number | null }
  | { kind: 'disconnected' };

export interface RunCellOptions {
  code: string;
  /** The request's metadata (pyexec's job: pyexec_jupyter.py). */
  metadata: RequestMetadata;
  timeoutMs: number;
  interruptGraceMs: number;
  onIOPub?: (message: KernelMessage.IIOPubMessage) => void;
  signal?: AbortSignal;
}

type RequestMetadata = NonNullable<Parameters<Kernel.IKernelConnection['requestExecute']>[2]>;

const deathStatuses = new Set<Kernel.Status>(['dead', 'autorestarting', 'restarting']);

export async function runCell(connection: Kernel.IKernelConnection, options: RunCellOptions): Promise<CellEnd> {
  const future = connection.requestExecute(
    { code: options.code, silent: false, store_history: true, allow_stdin: false, stop_on_error: true },
    true,
    options.metadata,
  );
  if (options.onIOPub) future.onIOPub = options.onIOPub;
  const watch = watchConnection(connection, options);
  const replied = future.done.then(
    (reply): CellEnd => ({ kind: 'replied', reply: reply.content }),
    // Cancelled by a restart: the status message with the exit status may still be on its way.
    () => nextTurn().then((): CellEnd => (connection.connectionStatus === 'disconnected' ? { kind: 'disconnected' } : watch.died())),
  );
  try {
    const first = await Promise.race([replied, watch.ended]);
    if (first.kind !== 'timeout' && first.kind !== 'cancelled') return first;
    return { kind: first.kind, answeredInterrupt: await interrupt(connection, replied, options.interruptGraceMs) };
  } finally {
    watch.stop();
  }
}

/** Resolves when the kernel dies, the connection drops, the timeout fires or the caller aborts. */
function watchConnection(connection: Kernel.IKernelConnection, options: RunCellOptions) {
  let settle: (end: CellEnd) => void = () => {};
  const ended = new Promise<CellEnd>((resolve) => {
    settle = resolve;
  });
  let exitStatus: number | null = null;
  const died = (): CellEnd => ({ kind: 'died', exitStatus });
  const onIOPub = (_: unknown, message: KernelMessage.IIOPubMessage) => {
    if (message.header.msg_type !== 'status') return;
    const content = message.content as { execution_state?: unknown; pyexec_exit_status?: unknown };
    if (content.execution_state !== 'restarting') return;
    if (typeof content.pyexec_exit_status === 'number') exitStatus = content.pyexec_exit_status;
    settle(died());
  };
  const onStatus = (_: unknown, status: Kernel.Status) => {
    if (deathStatuses.has(status)) void nextTurn().then(() => settle(died()));
  };
  const onConnection = (_: unknown, status: Kernel.ConnectionStatus) =>
    status === 'disconnected' && settle({ kind: 'disconnected' });
  const onAbort = () => settle({ kind: 'cancelled', answeredInterrupt: false });
  const timer = setTimeout(() => settle({ kind: 'timeout', answeredInterrupt: false }), options.timeoutMs);
  connection.iopubMessage.connect(onIOPub);
  connection.statusChanged.connect(onStatus);
  connection.connectionStatusChanged.connect(onConnection);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    ended,
    died,
    stop: () => {
      clearTimeout(timer);
      connection.iopubMessage.disconnect(onIOPub);
      connection.statusChanged.disconnect(onStatus);
      connection.connectionStatusChanged.disconnect(onConnection);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Sends SIGINT through the server; true when the kernel answered the request within the grace period. */
async function interrupt(connection: Kernel.IKernelConnection, replied: Promise<CellEnd>, graceMs: number): Promise<boolean> {
  try {
    await connection.interrupt();
  } catch {
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), graceMs);
  });
  const answer = await Promise.race([replied, grace]);
  clearTimeout(timer);
  return answer?.kind === 'replied';
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
