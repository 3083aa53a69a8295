/**
 * The file worker's thread (file-jobs.ts is its only client): runs jobs of
 * small file operations with synchronous system calls. On the event loop
 * each asynchronous fs call costs a trip through libuv's thread pool and a
 * promise, more than the system call itself; here a job of several steps
 * costs the service's thread one message, and a stalled disk stalls this
 * thread, not the event loop.
 *
 * Plain JavaScript: Node loads a worker without the TypeScript loader (tsx's
 * registration and vitest's transforms do not reach worker threads). The
 * steps and their results are typed in file-jobs.ts.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';

const steps = {
  mkdir: ({ path, recursive }) => void mkdirSync(path, { recursive }),
  realpath: ({ path }) => realpathSync(path),
  expectRealpath,
  read: ({ path }) => readFileSync(path, 'utf8'),
  write: ({ path, data, exclusive }) => void writeFileSync(path, data, { flag: exclusive ? 'wx' : 'w' }),
  rename: ({ from, to }) => void renameSync(from, to),
  remove: ({ path }) => void rmSync(path, { recursive: true, force: true }),
  writeAtomic,
  appendAt,
};

/** Ends the job unless `path` still resolves to `real` (a folder swapped for a symlink since it was checked). */
function expectRealpath({ path, real }) {
  const found = realpathSync(path);
  if (found !== real) throw Object.assign(new Error(`${path} now resolves to ${found}, not ${real}`), { code: 'EREALPATH' });
}

/** Temporary sibling, then rename over the target: readers see the old file or the new one. */
function writeAtomic({ path, data, durable }) {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', 0o644);
    try {
      writeFileSync(fd, data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Appends in one O_APPEND write, only while the file still has the size the
 * caller expects (nobody else appended since it last looked); otherwise
 * writes nothing and reports the size found.
 */
function appendAt({ path, data, size }) {
  const fd = openSync(path, 'a');
  try {
    const found = fstatSync(fd).size;
    if (found !== size) return { appended: false, size: found };
    writeFileSync(fd, data);
    return { appended: true, size: found + Buffer.byteLength(data) };
  } finally {
    closeSync(fd);
  }
}

/** A job's steps run in order; the first failure ends the job. */
function runJob({ id, steps: jobSteps }) {
  const results = [];
  try {
    for (const step of jobSteps) results.push(steps[step.op](step) ?? null);
    return { id, results };
  } catch (error) {
    return { id, error: { message: error instanceof Error ? error.message : String(error), code: error?.code } };
  }
}

parentPort.on('message', (jobs) => parentPort.postMessage(jobs.map(runJob)));
