/**
 * Saves what was sent to the model and what came back in the execution
 * folder (`generation/NN_<turn>.prompt.md`, `NN_<turn>.response.md`), so a
 * reviewer sees exactly how the code came about. Known secrets are blanked
 * before anything is written, whatever the text.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatMessage } from './chat.ts';
import { redact } from './redact.ts';

export interface Transcript {
  prompt(turn: string, system: string, messages: readonly ChatMessage[]): Promise<void>;
  response(turn: string, text: string): Promise<void>;
}

export const transcriptFolder = 'generation';

const discard: Transcript = { prompt: async () => {}, response: async () => {} };

export function createTranscript(options: {
  folder: string;
  attempt: number;
  enabled: boolean;
  secrets: readonly string[];
}): Transcript {
  if (!options.enabled || options.folder === '') return discard;
  const folder = join(options.folder, transcriptFolder);
  const stem = (turn: string) => join(folder, `${String(options.attempt).padStart(2, '0')}_${turn}`);
  const save = async (path: string, text: string) => {
    await mkdir(folder, { recursive: true });
    await writeFile(path, redact(text, options.secrets), { encoding: 'utf8', mode: 0o600 });
  };
  return {
    prompt: (turn, system, messages) =>
      save(
        `${stem(turn)}.prompt.md`,
        [`# system\n\n${system}`, ...messages.map((message) => `# ${message.role}\n\n${message.content}`)].join('\n\n') + '\n',
      ),
    response: (turn, text) => save(`${stem(turn)}.response.md`, text.endsWith('\n') ? text : `${text}\n`),
  };
}
