/**
 * `pyexec analyze PATH...`: the static analysis of Python files, as the
 * service would do it, for files and folders at once (like the linters people
 * know). One process, one parser and one warm Python syntax helper for every
 * file: a folder of hundreds of files costs one start. Output: text, one JSON
 * object per file (`--json`), or SARIF 2.1.0 (`--format sarif`) for CI
 * systems and editors. The exit status says whether any file was sent back.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { AnalysisResult } from '../../protocol/internal.ts';
import { bold } from '../display.ts';
import { InputFileError } from '../input-files.ts';
import { configFrom, withCommonOptions, type CommonOptions } from '../options.ts';

type Format = 'text' | 'json' | 'sarif';

interface AnalyzeOptions extends CommonOptions {
  json?: boolean;
  format: Format;
}

/** A file's text; an empty file is Python too (`__init__.py`), bytes that are not UTF-8 are not. */
function readSource(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputFileError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputFileError(`${path}: is not UTF-8 text`);
  }
}

function printText(path: string, result: AnalysisResult, detailed: boolean): void {
  const verdict = bold(result.passed ? 'passed' : 'sent back');
  process.stdout.write(`${path}: ${verdict} — mode ${result.execution_mode}, approval ${result.requires_approval ? 'required' : 'not required'}\n`);
  if (detailed) for (const reason of result.reasoning) process.stdout.write(`  • ${reason}\n`);
  for (const f of result.findings) process.stdout.write(`  ${f.severity.padEnd(8)} ${path}:${f.line}:${f.column} ${f.message} [${f.rule}]\n`);
}

export function analyzeCommand(): Command {
  return withCommonOptions(
    new Command('analyze')
      .description(
        'analyse Python files and folders (searched for *.py): findings, control-system access, execution mode, approval; exit 1 when any file would be sent back',
      )
      .argument('<paths...>', 'Python files and folders')
      .option('--json', 'one JSON object per file and line: {"file": PATH, ...the analysis result} (see docs/analysis.md)')
      .addOption(new Option('--format <format>', 'text, json (as --json) or sarif (SARIF 2.1.0)').choices(['text', 'json', 'sarif']).default('text')),
  ).action(async (paths: string[], options: AnalyzeOptions) => {
    const format: Format = options.json === true ? 'json' : options.format;
    // loaded here, not at the top: `pyexec --help` and other commands never load the analyzer
    const { createAnalyzer } = await import('../../adapters/analysis/index.ts');
    const { pythonFiles, PathError } = await import('../../adapters/analysis/python-files.ts');
    let files: string[];
    try {
      files = pythonFiles(paths);
    } catch (error) {
      throw error instanceof PathError ? new InputFileError(error.message) : error;
    }
    if (files.length === 0) throw new InputFileError(`no Python files in ${paths.join(', ')}`);
    const analyzer = await createAnalyzer(configFrom(options));
    const analysed: Array<{ path: string; result: AnalysisResult }> = [];
    let sentBack = 0;
    for (const path of files) {
      const result = await analyzer.analyze(readSource(path));
      if (!result.passed) sentBack++;
      if (format === 'json') process.stdout.write(`${JSON.stringify({ file: path, ...result })}\n`);
      else if (format === 'text') printText(path, result, files.length === 1);
      else analysed.push({ path, result });
    }
    if (format === 'sarif') {
      const { toSarif } = await import('../../adapters/analysis/sarif.ts');
      process.stdout.write(`${JSON.stringify(toSarif(analysed, '0.1.0'), null, 2)}\n`);
    }
    if (format === 'text' && files.length > 1) process.stderr.write(`${files.length} files analysed, ${sentBack} sent back\n`);
    process.exitCode = sentBack === 0 ? 0 : 1;
  });
}
