/**
 * A static analyzer decides, from the code alone, whether it goes back to the
 * generator, waits for a human, or runs, and in which execution mode. It is
 * built from the configuration (policy, patterns) once and reused.
 */
import type { AnalysisResult } from '../../protocol/internal.ts';

export interface CodeAnalyzer {
  readonly name: string;
  analyze(code: string): Promise<AnalysisResult>;
}
