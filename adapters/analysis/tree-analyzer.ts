/**
 * The syntax-tree analyzer: size and NUL checks, parse (bounded in time,
 * nodes and depth), scopes and name resolution, inspection, severities, then
 * the approval policy. It never throws for any code string: what it cannot
 * analyse becomes a blocking finding, so the code goes back to the generator.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AnalysisResult, PvAccess } from '../../protocol/internal.ts';
import type { Finding } from '../../protocol/public.ts';
import type { CodeAnalyzer } from './analyzer.ts';
import { controlModel, type ControlModel } from './control/index.ts';
import { configuredLibraries } from './control/extensions.ts';
import type { Tree } from 'web-tree-sitter';
import { inspect, type RawAccess, type RawFinding } from './inspector.ts';
import { parsePython, type ParseLimits } from './parser.ts';
import type { SyntaxChecker } from './python-syntax.ts';
import { applyVerdict } from './syntax-verdict.ts';
import { compilePatterns, type PatternMatcher } from './patterns.ts';
import { decide } from './policy.ts';
import { checkWritesAgainstLimits } from '../limits/analysis-step.ts';
import { openLimitsSource, type LimitsSource } from '../limits/source.ts';
import { severityTable, type RuleId, type SeverityTable } from './rules.ts';
import type { RuleFamily } from './rule-family.ts';
import type { AnalyzerSettings } from './settings.ts';
import { builtinRuleFamilies } from './families/index.ts';
import { collectScopes } from './scopes.ts';
import { select, selectErrors } from './selection.ts';
import { SourceLines } from './source-lines.ts';
import { SyntaxTree, type SyntaxNode } from './syntax-node.ts';

export const analyzerName = 'tree-sitter-python';

const codeSchema = z.string({ error: 'the code to analyse must be a string' });

/** A finding before severities: `index` is its offset in the code, null for the whole file. */
type Located = RawFinding;

const wholeFile = (rule: RuleId, message: string): Located => ({ rule, message, index: null });

/** First few ERROR or missing nodes in source order, leaving out those inside an ERROR already reported. */
function syntaxErrors(errors: readonly SyntaxNode[], limit: number): RawFinding[] {
  const found: RawFinding[] = [];
  let reportedEnd = -1;
  for (const node of errors) {
    if (found.length >= limit) break;
    if (node.start < reportedEnd) continue;
    if (node.type === 'ERROR') {
      const text = node.text.slice(0, 40).replace(/\s+/g, ' ');
      found.push({ rule: 'syntax.error', message: `invalid syntax near "${text}"`, index: node.start });
      reportedEnd = node.end;
    } else {
      found.push({ rule: 'syntax.error', message: `invalid syntax: "${node.type}" is missing`, index: node.start });
    }
  }
  return found;
}

export class TreeAnalyzer implements CodeAnalyzer {
  readonly name = analyzerName;
  private readonly severities: SeverityTable;
  private readonly patterns: PatternMatcher;
  private readonly limits: ParseLimits;
  private readonly channelLimits: LimitsSource | null;
  private readonly model: ControlModel;

  /** `families`: the rule families whose checks run (the built-in ones by default), each with its rules in the severity table. */
  constructor(
    private readonly settings: AnalyzerSettings,
    private readonly python: SyntaxChecker,
    private readonly families: readonly RuleFamily[] = builtinRuleFamilies,
  ) {
    this.model = controlModel(configuredLibraries(settings.analysis.libraries));
    this.channelLimits = openLimitsSource({ control_system: settings.controlSystem });
    this.severities = severityTable(settings.analysis.rule_severity, families);
    this.patterns = compilePatterns(settings.controlSystem.patterns);
    this.limits = {
      maxNodes: settings.analysis.max_nodes,
      maxDepth: settings.analysis.max_depth,
      timeoutMs: settings.analysis.parse_timeout_ms,
    };
  }

  async analyze(input: string): Promise<AnalysisResult> {
    const code = codeSchema.parse(input);
    const started = performance.now();
    let outcome: { found: Located[]; accesses: RawAccess[]; syntaxValid: boolean };
    try {
      outcome = await this.examine(code);
    } catch (error) {
      const message = `the analyzer failed (${error instanceof Error ? error.message : String(error)}); the code is refused until it can be analysed`;
      outcome = { found: [wholeFile('analysis.internal_error', message)], accesses: [], syntaxValid: false };
    }
    return this.result(code, outcome.found, outcome.accesses, outcome.syntaxValid, started);
  }

  private async examine(code: string): Promise<{ found: Located[]; accesses: RawAccess[]; syntaxValid: boolean }> {
    const bytes = Buffer.byteLength(code, 'utf8');
    if (bytes > this.settings.analysis.max_code_bytes) {
      const message = `the code is ${bytes} bytes, more than the ${this.settings.analysis.max_code_bytes} bytes the analyzer accepts (analysis.max_code_bytes)`;
      return { found: [wholeFile('limits.code_too_large', message)], accesses: [], syntaxValid: false };
    }
    const found: Located[] = [];
    const nul = code.indexOf('\0');
    if (nul !== -1) {
      found.push({ rule: 'syntax.nul_byte', message: 'the code contains a NUL byte, which Python refuses in source code', index: nul });
    }
    // Python compiles in its helper process while the tree is parsed and inspected here
    const verdict = nul === -1 ? this.python.check(code) : null;
    // NUL bytes become spaces so the rest of the code is still analysed (same offsets)
    const parsed = await parsePython(nul === -1 ? code : code.replaceAll('\0', ' '), this.limits, (tree) => this.inspectTree(tree, code));
    switch (parsed.kind) {
      case 'timeout':
        found.push(this.limitFinding(`parsing took longer than ${this.limits.timeoutMs} ms (analysis.parse_timeout_ms)`));
        return { found, accesses: [], syntaxValid: false };
      case 'too_many_nodes':
        found.push(this.limitFinding(`the syntax tree has ${parsed.nodes} nodes, more than ${this.limits.maxNodes} (analysis.max_nodes)`));
        return { found, accesses: [], syntaxValid: false };
      case 'too_deep':
        found.push({
          ...this.limitFinding(`the code is nested more than ${this.limits.maxDepth} levels deep (analysis.max_depth)`),
          index: parsed.index,
        });
        return { found, accesses: [], syntaxValid: false };
      case 'parsed': {
        const { accesses, syntaxValid } = parsed.result;
        // with NUL bytes Python compiles nothing; the parser's findings stand beside syntax.nul_byte
        const checked = verdict === null ? { found: parsed.result.found, syntaxValid: false } : applyVerdict(code, parsed.result.found, syntaxValid, await verdict);
        found.push(...checked.found);
        return { found, accesses, syntaxValid: checked.syntaxValid };
      }
    }
  }

  /** Runs while the wasm tree is alive; what it returns holds offsets, not nodes. */
  private inspectTree(tree: Tree, code: string): { found: Located[]; accesses: RawAccess[]; syntaxValid: boolean } {
    const hasError = tree.rootNode.hasError;
    const syntax = new SyntaxTree(code, tree.rootNode, !hasError);
    const selection = select(tree, syntax);
    const errors = hasError ? syntaxErrors(selectErrors(tree, syntax), 3) : [];
    const inspection = inspect(syntax, selection, collectScopes(selection), this.patterns, this.model, this.families);
    return { found: [...errors, ...inspection.findings], accesses: inspection.accesses, syntaxValid: errors.length === 0 };
  }

  private limitFinding(message: string): Located {
    return wholeFile('limits.too_complex', message);
  }

  private result(code: string, found: Located[], accesses: RawAccess[], syntaxValid: boolean, started: number): AnalysisResult {
    const lines = new SourceLines(code);
    const seen = new Set<string>();
    const findings: Finding[] = [];
    for (const f of found) {
      const { line, column } = f.index === null ? { line: 0, column: 0 } : lines.position(f.index);
      const key = `${f.rule}:${line}:${column}:${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // a rule of no registered family (a family reporting another's rule that is not registered): blocking, never silently passed
      findings.push({ rule: f.rule, severity: this.severities[f.rule] ?? 'blocking', message: f.message, line, column, excerpt: lines.excerpt(line) });
    }
    findings.sort((a, b) => a.line - b.line || a.column - b.column);
    const toPv = ({ index, access: _access, ...rest }: RawAccess): PvAccess => ({ ...rest, line: lines.position(index).line });
    const reads = accesses.filter((a) => a.access === 'read').map(toPv);
    const writes = accesses.filter((a) => a.access === 'write').map(toPv);
    // Writes outside their channel's limits are blocking findings like any other (docs/limits.md).
    const limits = this.channelLimits ? checkWritesAgainstLimits(this.channelLimits, writes) : null;
    const decision = decide(this.settings.policy, { findings: [...findings, ...(limits?.findings ?? [])], reads, writes });
    return {
      passed: decision.passed,
      syntax_valid: syntaxValid,
      findings: [...findings, ...[...(limits?.findings ?? []), ...decision.findings].map((f) => ({ ...f, excerpt: lines.excerpt(f.line) }))],
      control_system: { reads, writes },
      execution_mode: decision.execution_mode,
      requires_approval: decision.requires_approval,
      reasoning: [...decision.reasoning, ...(limits?.reasoning ?? [])],
      code_sha256: createHash('sha256').update(code, 'utf8').digest('hex'),
      analyzer: this.name,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      ...(limits ? { limit_checks: limits.checks } : {}),
    };
  }
}
