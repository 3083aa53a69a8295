/**
 * The approval question at the terminal. The answer is read from standard
 * input, so a pipe can answer it: `yes` (or `y`) approves; `no`, `n` or any
 * other text rejects, the text being the reason. End of input rejects: with
 * nobody to ask, nothing runs.
 */
import { createInterface } from 'node:readline';

export type ApprovalAnswer = { verdict: 'approve'; reason: string } | { verdict: 'reject'; reason: string };

let pendingLines: string[] = [];
let waiting: ((line: string | null) => void) | null = null;
let ended = false;
let reader: ReturnType<typeof createInterface> | null = null;

/** One reader for the whole process, so lines piped ahead of a question are kept for it. */
function nextLine(): Promise<string | null> {
  if (!reader) {
    reader = createInterface({ input: process.stdin, terminal: false });
    reader.on('line', (line) => (waiting ? (waiting(line), (waiting = null)) : pendingLines.push(line)));
    reader.on('close', () => {
      ended = true;
      waiting?.(null);
      waiting = null;
    });
  }
  const line = pendingLines.shift();
  if (line !== undefined) return Promise.resolve(line);
  if (ended) return Promise.resolve(null);
  return new Promise((resolve) => (waiting = resolve));
}

export function parseAnswer(line: string | null): ApprovalAnswer {
  if (line === null) return { verdict: 'reject', reason: 'no answer at the terminal (input ended)' };
  const answer = line.trim();
  if (/^(y|yes)$/i.test(answer)) return { verdict: 'approve', reason: 'approved at the terminal' };
  if (/^(n|no)$/i.test(answer) || answer === '') return { verdict: 'reject', reason: 'rejected at the terminal' };
  return { verdict: 'reject', reason: answer.replace(/^(n|no)[:\s]+/i, '') };
}

export async function askApproval(): Promise<ApprovalAnswer> {
  process.stderr.write('Approve this code? [yes / no / a reason to reject]: ');
  const answer = parseAnswer(await nextLine());
  process.stderr.write(`${answer.verdict === 'approve' ? 'approved' : `rejected: ${answer.reason}`}\n`);
  return answer;
}

/** Lets the process exit when nothing else is pending. */
export function closePrompt(): void {
  reader?.close();
  pendingLines = [];
}
