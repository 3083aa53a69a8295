/**
 * Idempotency for request/reply actors: the answer to a command id is
 * computed once; a repeated command (re-issued after a restart, or a retried
 * request) gets the same answer, in flight or finished. Bounded.
 */
export class RecentAnswers<T> {
  private readonly answers = new Map<string, Promise<T>>();

  constructor(private readonly capacity = 1_000) {}

  once(commandId: string, compute: () => Promise<T>): Promise<T> {
    const known = this.answers.get(commandId);
    if (known) return known;
    const answer = compute();
    this.answers.set(commandId, answer);
    if (this.answers.size > this.capacity) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    return answer;
  }
}
