/**
 * Kernel, analyzer and generator wrapped so each call is measured and
 * counted, and what it did is added to the span of the command it works for.
 * Decorators keep the adapters free of metrics code: a process that exports
 * no metrics runs them unwrapped and pays nothing.
 */
import type { CodeAnalyzer } from '../adapters/analysis/analyzer.ts';
import type { CodeGenerator } from '../adapters/generators/generator.ts';
import type { Kernel, WarmPool } from '../adapters/kernels/kernel.ts';
import type { PyexecMetrics } from './metrics.ts';
import type { Tracing } from './tracing.ts';

/** The wrapped kernel still answers for its warm pool and readiness. */
export function instrumentKernel(kernel: Kernel, metrics: PyexecMetrics, tracing: Tracing | null): Kernel {
  const labels = { kernel: kernel.name };
  const warmPool = kernel.warmPool?.bind(kernel);
  if (warmPool) reportWarmPool(warmPool, metrics, kernel.name);
  return {
    name: kernel.name,
    close: () => kernel.close(),
    warmPool,
    ready: kernel.ready?.bind(kernel),
    execute: async (job, signal) => {
      tracing?.annotate(job.execution_id, { 'pyexec.kernel': kernel.name, 'pyexec.mode': job.mode });
      const stop = metrics.kernelSeconds.startTimer(labels);
      try {
        const result = await kernel.execute(job, signal);
        metrics.kernelExecutions.inc({ ...labels, status: result.status });
        tracing?.annotate(job.execution_id, { 'pyexec.kernel.status': result.status });
        return result;
      } catch (error) {
        metrics.kernelUnavailable.inc(labels);
        if (isSandboxFailure(error)) metrics.sandboxFailures.inc(labels);
        throw error;
      } finally {
        stop();
      }
    },
  };
}

/** Sandbox errors name themselves (SandboxUnavailableError and kin) or say so in their message. */
function isSandboxFailure(error: unknown): boolean {
  return error instanceof Error && (/sandbox/i.test(error.name) || /sandbox/i.test(error.message));
}

function reportWarmPool(read: () => WarmPool, metrics: PyexecMetrics, kernel: string): void {
  metrics.onScrape(() => {
    const { ready, misses } = read();
    metrics.warmPoolSize.set({ kernel }, ready);
    metrics.warmPoolMisses.set({ kernel }, misses);
  });
}

/** Analysis is traced by the analyze command's span (the analyzer is given code, not the execution). */
export function instrumentAnalyzer(analyzer: CodeAnalyzer, metrics: PyexecMetrics): CodeAnalyzer {
  return {
    name: analyzer.name,
    analyze: async (code) => {
      const stop = metrics.analysisSeconds.startTimer();
      try {
        const result = await analyzer.analyze(code);
        for (const finding of result.findings) metrics.findings.inc({ rule: finding.rule, severity: finding.severity });
        return result;
      } finally {
        stop();
      }
    },
  };
}

export function instrumentGenerator(generator: CodeGenerator, metrics: PyexecMetrics, tracing: Tracing | null): CodeGenerator {
  const labels = { generator: generator.name };
  return {
    name: generator.name,
    generateCode: async (input) => {
      tracing?.annotate(input.executionId, { 'pyexec.generator': generator.name, 'pyexec.attempt': input.attempt });
      const stop = metrics.generationSeconds.startTimer(labels);
      try {
        const generated = await generator.generateCode(input);
        metrics.generationAttempts.inc({ ...labels, result: 'ok' });
        const { input_tokens: tokensIn, output_tokens: tokensOut } = generated.metadata;
        if (tokensIn) metrics.generationTokens.inc({ ...labels, direction: 'input' }, tokensIn);
        if (tokensOut) metrics.generationTokens.inc({ ...labels, direction: 'output' }, tokensOut);
        return generated;
      } catch (error) {
        metrics.generationAttempts.inc({ ...labels, result: 'failed' });
        throw error;
      } finally {
        stop();
      }
    },
  };
}
