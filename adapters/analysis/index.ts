/**
 * The analyzer factory the analyzer actor and the CLI call. The Python
 * grammar is loaded here, once per process, so a broken installation fails at
 * start-up rather than on the first request; Python's syntax helper is one
 * process per interpreter, shared by every analyzer of the process.
 */
import type { Config } from '../../config/schema.ts';
import type { CodeAnalyzer } from './analyzer.ts';
import { builtinRuleFamilies } from './families/index.ts';
import { pythonParser } from './parser.ts';
import { pythonSyntaxChecker } from './python-syntax.ts';
import type { RuleFamily } from './rule-family.ts';
import { analyzerSettings } from './settings.ts';
import { TreeAnalyzer } from './tree-analyzer.ts';

export type { CodeAnalyzer } from './analyzer.ts';
export { ruleIds, rules, type RuleId } from './rules.ts';
export { defineRuleFamily, fixed, rule, type FamilyChecks, type InspectionContext, type RuleFamily, type RuleSpec } from './rule-family.ts';
export { analyzerSettings, type AnalyzerSettings } from './settings.ts';

export interface CreateAnalyzerOptions {
  /** Rule families added by the embedding application, checked after the built-in ones. */
  ruleFamilies?: readonly RuleFamily[];
}

/** Cuts the analyzer's settings out of `config` (the analyzer sees nothing else) and builds it. */
export async function createAnalyzer(config: Config, options: CreateAnalyzerOptions = {}): Promise<CodeAnalyzer> {
  const settings = analyzerSettings(config);
  const analyzer = new TreeAnalyzer(settings, pythonSyntaxChecker(settings.pythonEnvPath), [...builtinRuleFamilies, ...(options.ruleFamilies ?? [])]);
  await pythonParser();
  return analyzer;
}
