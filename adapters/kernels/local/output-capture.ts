/**
 * stdout and stderr of one execution, each kept up to a byte cap and in the
 * order the chunks arrived (so the notebook shows interleaved streams). Past
 * the cap chunks are dropped as they arrive: a gigabyte of output costs
 * reading it, never holding it.
 */
import type { NotebookOutput } from '../../../protocol/internal.ts';

export type StreamName = 'stdout' | 'stderr';

interface Run {
  name: StreamName;
  chunks: Buffer[];
}

export class OutputCapture {
  private readonly runs: Run[] = [];
  private readonly kept: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  private cut = false;

  constructor(private readonly capBytes: number) {}

  push(name: StreamName, chunk: Buffer): void {
    const room = this.capBytes - this.kept[name];
    if (chunk.length > room) this.cut = true;
    if (room <= 0) return;
    const taken = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.kept[name] += taken.length;
    const last = this.runs[this.runs.length - 1];
    if (last?.name === name) last.chunks.push(taken);
    else this.runs.push({ name, chunks: [taken] });
  }

  get truncated(): boolean {
    return this.cut;
  }

  text(name: StreamName): string {
    return Buffer.concat(this.runs.filter((run) => run.name === name).flatMap((run) => run.chunks)).toString('utf8');
  }

  /** nbformat 4 stream outputs, one per run of the same stream. */
  streamOutputs(): NotebookOutput[] {
    return this.runs.map((run) => ({
      output_type: 'stream',
      name: run.name,
      text: Buffer.concat(run.chunks).toString('utf8'),
    }));
  }
}
