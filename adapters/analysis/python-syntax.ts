/**
 * Python's own syntax verdict: the code compiled with
 * `compile(source, "<code>", "exec")` by the kernel's interpreter, exactly as
 * the kernel will compile it. tree-sitter is error-tolerant (`if True:`
 * followed by an unindented line parses), so its verdict is not Python's.
 *
 * One warm helper process per interpreter serves every analysis of the
 * process (one request per line of JSON on its stdin, one reply per line on
 * its stdout), so a check costs a pipe round trip, not an interpreter start.
 * The helper holds no reference on the event loop while idle, and ends by
 * itself when this process does (its stdin closes).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import { resolvePython } from '../kernels/local/python-resolver.ts';

export type PythonVerdict =
  | { kind: 'valid' }
  /** `line` as Python gives it (1-based); `offset` is Python's 1-based column in characters, 0 when it gives none. */
  | { kind: 'invalid'; type: string; message: string; line: number; offset: number }
  | { kind: 'unavailable'; why: string };

export interface SyntaxChecker {
  /** Never rejects: a helper that cannot run answers `unavailable`, and the analysis says so. */
  check(code: string): Promise<PythonVerdict>;
}

const helperScript = `
import json, sys, warnings
warnings.simplefilter("ignore")
for raw in sys.stdin.buffer:
    request = json.loads(raw)
    reply = {"id": request["id"]}
    try:
        compile(request["code"], "<code>", "exec")
    except SyntaxError as error:
        reply["error"] = {"type": type(error).__name__, "msg": str(error.msg), "lineno": error.lineno, "offset": error.offset}
    except Exception as error:
        reply["error"] = {"type": type(error).__name__, "msg": str(error), "lineno": None, "offset": None}
    sys.stdout.write(json.dumps(reply) + "\\n")
    sys.stdout.flush()
`;

const replySchema = z.object({
  id: z.number().int(),
  error: z
    .object({ type: z.string(), msg: z.string(), lineno: z.number().int().nullable(), offset: z.number().int().nullable() })
    .optional(),
});

/** A compile of a file within analysis.max_code_bytes takes milliseconds; this long means the helper is stuck. */
const replyTimeoutMs = 10_000;

interface Pending {
  resolve: (verdict: PythonVerdict) => void;
  timer: NodeJS.Timeout;
}

/** A child's stdio pipes are sockets (Node's documentation), typed as plain streams. */
const pipe = (stream: Readable | Writable): Socket => stream as unknown as Socket;

class SyntaxHelper implements SyntaxChecker {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffered = '';

  constructor(private readonly interpreter: Promise<string>) {}

  /**
   * With the helper running, the request is written before this returns, so
   * Python compiles while the caller parses and inspects, whatever the caller
   * does before it next yields; the first check waits for the helper to start.
   */
  check(code: string): Promise<PythonVerdict> {
    if (this.child !== null) return this.send(this.child, code);
    return this.started().then(
      (child) => this.send(child, code),
      (error: unknown): PythonVerdict => ({ kind: 'unavailable', why: error instanceof Error ? error.message : String(error) }),
    );
  }

  private send(child: ChildProcessWithoutNullStreams, code: string): Promise<PythonVerdict> {
    const id = this.nextId++;
    return new Promise<PythonVerdict>((resolve) => {
      const timer = setTimeout(() => this.fail(`no answer within ${replyTimeoutMs} ms`), replyTimeoutMs);
      this.pending.set(id, { resolve, timer });
      this.holdLoop();
      child.stdin.write(`${JSON.stringify({ id, code })}\n`);
    });
  }

  private async started(): Promise<ChildProcessWithoutNullStreams> {
    if (this.child !== null) return this.child;
    const interpreter = await this.interpreter;
    if (this.child !== null) return this.child;
    // -I: no user site, no PYTHON* variables; -S: no site import (a faster start, nothing the compiler needs)
    const child = spawn(interpreter, ['-I', '-S', '-c', helperScript], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.receive(chunk));
    child.stderr.resume();
    child.on('error', (error) => this.fail(`cannot run ${interpreter}: ${error.message}`));
    child.on('exit', (code, signal) => this.fail(`${interpreter} exited (${signal ?? `status ${code}`})`));
    child.stdin.on('error', () => undefined); // a dead helper is reported by 'exit'
    this.releaseLoop();
    return child;
  }

  private receive(chunk: string): void {
    this.buffered += chunk;
    for (let newline = this.buffered.indexOf('\n'); newline !== -1; newline = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      const reply = replySchema.safeParse(parseJson(line));
      if (!reply.success) return this.fail(`an answer that is not the protocol's: ${line.slice(0, 200)}`);
      const entry = this.pending.get(reply.data.id);
      if (entry === undefined) continue;
      this.pending.delete(reply.data.id);
      clearTimeout(entry.timer);
      const error = reply.data.error;
      entry.resolve(
        error === undefined
          ? { kind: 'valid' }
          : { kind: 'invalid', type: error.type, message: error.msg, line: error.lineno ?? 0, offset: error.offset ?? 0 },
      );
    }
    if (this.pending.size === 0) this.releaseLoop();
  }

  /** Ends the helper and answers every waiting check; the next check starts a new helper. */
  private fail(why: string): void {
    const child = this.child;
    this.child = null;
    this.buffered = '';
    if (child !== null && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      entry.resolve({ kind: 'unavailable', why });
      this.pending.delete(id);
    }
  }

  /** While a check waits, the helper's pipe keeps this process alive (a CLI run awaits it); idle, it does not. */
  private holdLoop(): void {
    if (this.child !== null) pipe(this.child.stdout).ref();
  }

  private releaseLoop(): void {
    const child = this.child;
    if (child === null) return;
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) pipe(stream).unref();
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

const systemPython = '/usr/bin/python3';

/** The kernel's interpreter: the configured environment's, else Debian's (which the Jupyter kernels use), else `python3`. */
function kernelInterpreter(pythonEnvPath: string | null): Promise<string> {
  if (pythonEnvPath !== null) return resolvePython(pythonEnvPath);
  try {
    accessSync(systemPython, constants.X_OK);
    return Promise.resolve(systemPython);
  } catch {
    return Promise.resolve('python3');
  }
}

const helpers = new Map<string, SyntaxHelper>();

/** The process-wide helper for the interpreter of `execution.local.python_env_path`, started on its first check. */
export function pythonSyntaxChecker(pythonEnvPath: string | null): SyntaxChecker {
  const key = pythonEnvPath ?? '';
  let helper = helpers.get(key);
  if (helper === undefined) {
    const interpreter = kernelInterpreter(pythonEnvPath);
    interpreter.catch(() => helpers.delete(key));
    helper = new SyntaxHelper(interpreter);
    helpers.set(key, helper);
  }
  return helper;
}
