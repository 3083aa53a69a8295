/**
 * The analyzer factory the analyzer actor and the CLI call. The Python
 * grammar is loaded here, once per process, so a broken installation fails at
 * start-up rather than on the first request.
 */
import type { Config } from '../../config/schema.ts';
import type { CodeAnalyzer } from './analyzer.ts';
import { pythonParser } from './parser.ts';
import { TreeAnalyzer } from './tree-analyzer.ts';

export type { CodeAnalyzer } from './analyzer.ts';
export { ruleIds, rules, type RuleId } from './rules.ts';

export async function createAnalyzer(config: Config): Promise<CodeAnalyzer> {
  const analyzer = new TreeAnalyzer(config);
  await pythonParser();
  return analyzer;
}
