/** `pyexec analyze FILE`: the static analysis of a file, as the service would do it. */
import { Command } from 'commander';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { bold } from '../display.ts';
import { readCodeFile } from '../input-files.ts';
import { configFrom, withCommonOptions, type CommonOptions } from '../options.ts';

export function analyzeCommand(): Command {
  return withCommonOptions(
    new Command('analyze')
      .description('analyse a Python file: findings, control-system access, execution mode, approval (exit 1 when it would be sent back)')
      .argument('<file>', 'Python file')
      .option('--json', 'print the full analysis result as JSON (see docs/analysis.md)'),
  ).action(async (file: string, options: CommonOptions & { json?: boolean }) => {
    const analyzer = await createAnalyzer(configFrom(options));
    const result = await analyzer.analyze(readCodeFile(file));
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`${bold(result.passed ? 'passed' : 'sent back')} — mode ${result.execution_mode}, approval ${result.requires_approval ? 'required' : 'not required'}\n`);
      for (const reason of result.reasoning) process.stdout.write(`  • ${reason}\n`);
      for (const f of result.findings) process.stdout.write(`  ${f.severity.padEnd(8)} ${file}:${f.line}:${f.column} ${f.message} [${f.rule}]\n`);
    }
    process.exitCode = result.passed ? 0 : 1;
  });
}
