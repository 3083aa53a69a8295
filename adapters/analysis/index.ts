/**
 * The analyzer factory the analyzer actor and the CLI call. The Python
 * grammar is loaded here, once per process, so a broken installation fails at
 * start-up rather than on the first request; Python's syntax helper is one
 * process per interpreter, shared by every analyzer of the process.
 */
import type { Config } from '../../config/schema.ts';
import type { CodeAnalyzer } from './analyzer.ts';
import { pythonParser } from './parser.ts';
import { pythonSyntaxChecker } from './python-syntax.ts';
import { TreeAnalyzer } from './tree-analyzer.ts';

export type { CodeAnalyzer } from './analyzer.ts';
export { ruleIds, rules, type RuleId } from './rules.ts';

export async function createAnalyzer(config: Config): Promise<CodeAnalyzer> {
  const analyzer = new TreeAnalyzer(config, pythonSyntaxChecker(config));
  await pythonParser();
  return analyzer;
}
