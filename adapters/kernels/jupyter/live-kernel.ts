/**
 * One Jupyter kernel as pyexec uses it: started over REST, connected over the
 * websocket, ready once it answered kernel_info (pyexec's extension has then
 * installed the guard and imported the heavy modules) and ran a first cell,
 * and thrown away after a single execution.
 *
 * The first cell checks that the kernel loaded pyexec's extension (without
 * it the code would run with no guard, limits or report) and pays IPython's
 * one-off costs of a first cell (~5 ms, twice a later cell's round trip)
 * while the kernel waits in the pool instead of in the execution.
 */
import { KernelAPI, KernelConnection, ServerConnection, type Kernel, type KernelMessage } from '@jupyterlab/services';
import { KernelUnavailableError } from '../kernel.ts';
import { silenceJupyterServicesAnnouncements } from './quiet-console.ts';
import { stagingFolder } from './staging.ts';

export interface LiveKernel {
  readonly id: string;
  readonly name: string;
  readonly connection: Kernel.IKernelConnection;
  /** performance.now() when it became ready. */
  readonly readyAt: number;
  /** Sandboxed: the staging folder (outside path) the execution writes to, copied back afterwards. */
  readonly staging: string | null;
}

export function serverSettings(url: string, token: string): ServerConnection.ISettings {
  return ServerConnection.makeSettings({ baseUrl: url, wsUrl: url.replace(/^http/, 'ws'), token });
}

/** Resolves when the server answers an authenticated request now (cached answers, such as its kernelspecs, say nothing of that). */
export async function serverAnswers(settings: ServerConnection.ISettings, timeoutMs = 1500): Promise<void> {
  let response: Response;
  try {
    response = await withTimeout(ServerConnection.makeRequest(`${settings.baseUrl.replace(/\/?$/, '/')}api/status`, {}, settings), timeoutMs, 'no answer');
  } catch (error) {
    throw unavailable(`the Jupyter server at ${settings.baseUrl} does not answer`, error);
  }
  await response.body?.cancel();
  if (!response.ok) throw new KernelUnavailableError(`the Jupyter server at ${settings.baseUrl} answered api/status with ${response.status}`);
}

/** Starts a kernel of `name` and waits until it answers; KernelUnavailableError when it cannot. */
export async function startLiveKernel(
  settings: ServerConnection.ISettings,
  name: string,
  timeoutMs: number,
  stagingRoot: string | null = null,
): Promise<LiveKernel> {
  silenceJupyterServicesAnnouncements();
  let model: Kernel.IModel;
  try {
    model = await withTimeout(KernelAPI.startNew({ name }, settings), timeoutMs, 'the server did not start the kernel');
  } catch (error) {
    throw unavailable(`cannot start a "${name}" kernel at ${settings.baseUrl}`, error);
  }
  const connection = new KernelConnection({ model, serverSettings: settings, handleComms: false });
  try {
    await withTimeout(connection.info, timeoutMs, 'the kernel did not answer kernel_info');
    const first = await withTimeout(connection.requestExecute({ code: firstCell, silent: false, store_history: false }).done, timeoutMs, 'the kernel did not run its first cell');
    if (first.content.status !== 'ok') throw new Error(`its first cell failed (${describeFailure(first.content)}): use pyexec's kernelspecs, which load pyexec_jupyter`);
  } catch (error) {
    void shutDown(settings, model.id, connection);
    throw unavailable(`the "${name}" kernel ${model.id} did not become ready`, error);
  }
  const staging = stagingRoot === null ? null : stagingFolder(stagingRoot, model.id);
  return { id: model.id, name, connection, readyAt: performance.now(), staging };
}

const firstCell = '__import__("pyexec_jupyter").ready()';

function describeFailure(reply: KernelMessage.IExecuteReplyMsg['content']): string {
  return reply.status === 'error' ? `${reply.ename}: ${reply.evalue}` : reply.status;
}

/** True while the kernel can take an execution: connected, idle, not restarted behind our back. */
export function isUsable(kernel: LiveKernel): boolean {
  const { connection } = kernel;
  return !connection.isDisposed && connection.connectionStatus === 'connected' && connection.status === 'idle';
}

/** Shuts the kernel down on the server (which kills its process group if it lingers) and drops the socket. */
export async function discardLiveKernel(settings: ServerConnection.ISettings, kernel: LiveKernel): Promise<void> {
  await shutDown(settings, kernel.id, kernel.connection);
}

async function shutDown(settings: ServerConnection.ISettings, id: string, connection: Kernel.IKernelConnection) {
  await settledConnection(connection, 5000);
  connection.dispose();
  // A kernel the server is restarting may refuse the first request; a gone kernel (404) does not throw.
  for (let attempt = 1; attempt <= shutdownAttempts; attempt++) {
    try {
      await KernelAPI.shutdownKernel(id, settings);
      return;
    } catch {
      if (attempt < shutdownAttempts) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

const shutdownAttempts = 3;

/**
 * After the server restarts a dead kernel, the client reconnects on its own
 * and nobody handles a failure of that reconnection: disposing the connection
 * mid-way would surface as an unhandled rejection. Let it finish first.
 */
async function settledConnection(connection: Kernel.IKernelConnection, ms: number): Promise<void> {
  // The client starts reconnecting one microtask after it reports the restart.
  await new Promise((resolve) => setImmediate(resolve));
  if (connection.isDisposed || connection.connectionStatus !== 'connecting') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      connection.connectionStatusChanged.disconnect(done);
      resolve();
    }
    connection.connectionStatusChanged.connect(done);
  });
}

function unavailable(message: string, cause: unknown): KernelUnavailableError {
  return new KernelUnavailableError(`${message}: ${cause instanceof Error ? cause.message : String(cause)}`);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
