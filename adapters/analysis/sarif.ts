/**
 * Analysis results as SARIF 2.1.0 (OASIS), the format CI systems and editors
 * read: one run, the rule catalogue as the tool's rules, one result per
 * finding at its file, line and column, and per file what the analysis
 * decided (passed, mode, approval, control-system accesses) as the
 * artifact's properties.
 */
import type { AnalysisResult } from '../../protocol/internal.ts';
import type { Severity } from '../../protocol/public.ts';
import { ruleIds, rules } from './rules.ts';

const levels: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { blocking: 'error', warning: 'warning', info: 'note' };

export interface AnalysedFile {
  path: string;
  result: AnalysisResult;
}

/** A path as a relative URI reference: forward slashes, each segment percent-encoded. */
function uriOf(path: string): string {
  return path.split(/[\\/]/).map(encodeURIComponent).join('/');
}

export function toSarif(files: readonly AnalysedFile[], version: string): object {
  const ruleIndex = new Map(ruleIds.map((id, index) => [id as string, index]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'pyexec',
            version,
            rules: ruleIds.map((id) => ({
              id,
              shortDescription: { text: rules[id].summary },
              defaultConfiguration: { level: levels[rules[id].severity] },
            })),
          },
        },
        artifacts: files.map(({ path, result }) => ({
          location: { uri: uriOf(path) },
          properties: {
            passed: result.passed,
            syntax_valid: result.syntax_valid,
            execution_mode: result.execution_mode,
            requires_approval: result.requires_approval,
            control_system: result.control_system,
          },
        })),
        results: files.flatMap(({ path, result }, artifactIndex) =>
          result.findings.map((finding) => ({
            ruleId: finding.rule,
            ...(ruleIndex.has(finding.rule) ? { ruleIndex: ruleIndex.get(finding.rule) } : {}),
            level: levels[finding.severity],
            message: { text: finding.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: uriOf(path), index: artifactIndex },
                  // line 0 is the whole file: no region; SARIF columns are 1-based UTF-16 units, ours 0-based
                  ...(finding.line > 0 ? { region: { startLine: finding.line, startColumn: finding.column + 1, snippet: { text: finding.excerpt } } } : {}),
                },
              },
            ],
          })),
        ),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
