/**
 * What a cell's IOPub messages leave: nbformat 4 outputs in arrival order
 * (consecutive chunks of one stream merged), stdout and stderr each kept up to
 * a byte cap, and every PNG image shown (display_data, execute_result) saved
 * under figures/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KernelMessage } from '@jupyterlab/services';
import type { NotebookOutput } from '../../../protocol/internal.ts';

type StreamName = 'stdout' | 'stderr';

export class CellOutputs {
  readonly outputs: NotebookOutput[] = [];
  readonly images: string[] = [];
  truncated = false;
  private readonly kept: Record<StreamName, string[]> = { stdout: [], stderr: [] };
  private readonly keptBytes: Record<StreamName, number> = { stdout: 0, stderr: 0 };

  constructor(
    private readonly capBytes: number,
    private readonly figuresDir: string,
    private readonly attempt: number,
  ) {}

  readonly onIOPub = (message: KernelMessage.IIOPubMessage): void => {
    if (KernelMessage.isStreamMsg(message)) this.stream(message.content.name, message.content.text);
    else if (KernelMessage.isDisplayDataMsg(message)) this.display('display_data', message.content);
    else if (KernelMessage.isExecuteResultMsg(message)) this.display('execute_result', message.content);
    else if (KernelMessage.isErrorMsg(message)) this.outputs.push({ output_type: 'error', ...message.content });
  };

  text(name: StreamName): string {
    return this.kept[name].join('');
  }

  private stream(name: StreamName, text: string): void {
    const room = this.capBytes - this.keptBytes[name];
    const bytes = Buffer.byteLength(text);
    if (bytes > room) this.truncated = true;
    if (room <= 0 || text === '') return;
    const piece = bytes > room ? Buffer.from(text).subarray(0, room).toString('utf8') : text;
    this.keptBytes[name] += Math.min(bytes, room);
    this.kept[name].push(piece);
    const last = this.outputs[this.outputs.length - 1];
    if (last?.output_type === 'stream' && last.name === name) last.text = `${String(last.text)}${piece}`;
    else this.outputs.push({ output_type: 'stream', name, text: piece });
  }

  private display(
    outputType: 'display_data' | 'execute_result',
    content: KernelMessage.IDisplayDataMsg['content'] | KernelMessage.IExecuteResultMsg['content'],
  ): void {
    const { transient: _transient, ...output } = content as typeof content & { transient?: unknown };
    this.outputs.push({ output_type: outputType, ...output });
    const png = content.data['image/png'];
    if (typeof png === 'string') this.saveImage(png);
  }

  private saveImage(base64: string): void {
    mkdirSync(this.figuresDir, { recursive: true });
    const name = `attempt_${pad(this.attempt)}_output_${pad(this.images.length + 1)}.png`;
    const path = join(this.figuresDir, name);
    writeFileSync(path, Buffer.from(base64, 'base64'));
    this.images.push(path);
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
