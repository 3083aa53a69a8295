/**
 * Model-based tests of the execution statechart: @xstate/graph explores the
 * machine with the events the environment can produce, paths are chosen to
 * cover every edge of that graph, and each path is driven through the REAL
 * system — supervisor, in-process bus, mock generator snippets, real
 * analyzer, real local Python (one warm kernel shared by all paths) — with
 * a scripted environment. The observed state events, the outcome, what ran
 * on the kernel and what the fake `epics` module wrote must be what the
 * model says.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getStateNodes } from '@xstate/graph';
import { outcomeSchema, stateNameSchema, type StateName } from '../../protocol/public.ts';
import { kvKeys } from '../../protocol/kv-keys.ts';
import { parseConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { executionMachine } from '../../machines/execution-machine.ts';
import { commandIdFor } from '../../machines/execution-rules.ts';
import { createAnalyzer } from '../../adapters/analysis/index.ts';
import { createLocalKernel, localKernelOptions } from '../../adapters/kernels/local/index.ts';
import { kernelContext } from '../../adapters/kernels/registry.ts';
import type { Kernel } from '../../adapters/kernels/kernel.ts';
import { silentLogger } from '../../logging/logger.ts';
import { startService } from '../../actors/service.ts';
import { policyFrom } from '../../actors/supervisor.ts';
import { tempDir } from '../support/temp.ts';
import { requireTestPython, testPython } from '../kernels/local-python.ts';
import { buildCatalogue, type CodeKind } from './code-kinds.ts';
import { ExecutionModel, type ModelPath, type ModelRoot, type ModelStep } from './execution-model.ts';
import { Script, ScriptedWorld } from './scripted-world.ts';
import { installFakeEpics, writeLogName } from '../support/fake-epics.ts';

requireTestPython();

const site = tempDir('pyexec-model-site-');
const epics = installFakeEpics(site.path);

interface PathTimings {
  executionsRoot: string;
  approvalDeadlineSeconds: number;
  backoffMs: number;
}

/** Small budgets keep the graph small: two generation and two execution attempts, one infrastructure retry. */
function configFor(timings: PathTimings): Config {
  const environment = { PYTHONPATH: epics.pythonPath };
  return parseConfig({
    python_executor: { max_generation_retries: 2, max_execution_retries: 2, execution_timeout_seconds: 30 },
    execution: {
      local: { python_env_path: testPython },
      modes: {
        read_only: { kernel_name: 'python3', allows_writes: false, environment },
        write_access: { kernel_name: 'python3', allows_writes: true, requires_approval: true, environment },
      },
    },
    approval: { deadline_seconds: timings.approvalDeadlineSeconds },
    control_system: { writes_enabled: true },
    retry: { infrastructure_max_retries: 1, backoff_base_ms: timings.backoffMs, backoff_max_ms: timings.backoffMs, command_timeout_seconds: 30 },
    service: { executions_root: timings.executionsRoot, log_level: 'silent' },
  });
}

const baseConfig = configFor({ executionsRoot: join(site.path, 'unused'), approvalDeadlineSeconds: 120, backoffMs: 5 });
const analyzer = await createAnalyzer(baseConfig);
const catalogue = await buildCatalogue(analyzer);
const model = new ExecutionModel({
  catalogue,
  policy: policyFrom(baseConfig),
  allowsWrites: (mode) => baseConfig.execution.modes[mode]?.allows_writes ?? false,
});
const roots: ModelRoot[] = [
  { name: 'generated', approvedCode: null },
  // A request with approved code skips generation and cannot go back to it.
  { name: 'approved write', approvedCode: 'write' },
  { name: 'approved runtime error', approvedCode: 'runtime_error' },
];
const edges = model.edges(roots);
const paths = model.edgeCoveringPaths(roots);
const replayed = paths.map((path) => model.replay(path, 'model-check-0001'));

const dedupe = (states: readonly string[]) => states.filter((state, index) => state !== states[index - 1]);
const sourceState = (step: ModelStep) => step.source.value as StateName;

/**
 * The real-service paths of one shard: a contiguous slice of the paths, so
 * that the slices (test/model/statechart-paths-N.test.ts) run in parallel
 * test processes beside the rest of the suite.
 */
export function describeStatechartPaths(shard: number, shards: number): void {
  describeRealServicePaths(Math.floor((paths.length * shard) / shards), Math.floor((paths.length * (shard + 1)) / shards));
}

/** The model against the statechart and the real analyzer: no service involved. */
export function describeModelChecks(): void {
describe('the statechart model', () => {
  it('gets from the real analyzer the analyses its code kinds stand for', () => {
    const verdict = (kind: CodeKind) => {
      const { passed, requires_approval, execution_mode } = catalogue.analysis[kind];
      return { passed, requires_approval, execution_mode };
    };
    expect(verdict('ok')).toEqual({ passed: true, requires_approval: false, execution_mode: 'read_only' });
    expect(verdict('runtime_error')).toEqual({ passed: true, requires_approval: false, execution_mode: 'read_only' });
    expect(verdict('write')).toEqual({ passed: true, requires_approval: true, execution_mode: 'write_access' });
    expect(verdict('bad')).toMatchObject({ passed: false });
  });

  it('has paths that cover every edge of the graph, each step agreeing with the graph', () => {
    const covered = new Set<string>();
    for (const steps of replayed) {
      for (const step of steps) {
        const edge = model.edgeOf(step);
        expect(edges.get(edge), `${edge} is not an edge of the graph`).toBe(step.targetKey);
        covered.add(edge);
      }
    }
    expect([...edges.keys()].filter((edge) => !covered.has(edge))).toEqual([]);
    expect(covered.size).toBe(edges.size);
  });

  it('reaches every state and every outcome', () => {
    const states = new Set(replayed.flatMap((steps) => steps.flatMap((step) => [step.source.value, step.target.value])));
    expect([...states].sort()).toEqual([...stateNameSchema.options].sort());
    const outcomes = new Set(replayed.map((steps) => steps.at(-1)?.target.context.outcome).filter((outcome) => outcome));
    expect([...outcomes].sort()).toEqual([...outcomeSchema.options].sort());
  });

  it('takes every transition the statechart defines', () => {
    // Transition definitions are compared by identity.
    const taken = new Set<unknown>();
    for (const steps of replayed) {
      for (const step of steps) for (const definition of executionMachine.getTransitionData(step.source, step.event)) taken.add(definition);
    }
    const nodes = [executionMachine.root, ...getStateNodes(executionMachine.root)];
    const missing = nodes.flatMap((node) =>
      [...node.transitions.values()].flat().filter((definition) => !taken.has(definition)).map((definition) => `${node.id} on ${definition.eventType}`),
    );
    expect(missing).toEqual([]);
    // The one eventless transition: approved code goes straight to analysis.
    for (const root of roots.filter((candidate) => candidate.approvedCode !== null)) {
      expect(model.initialSnapshot(root, 'model-check-0001').value).toBe('analyzing');
    }
  });
});

}

function describeRealServicePaths(from: number, to: number): void {
describe('statechart paths through the real service', () => {
  let kernel: Kernel;

  beforeAll(() => {
    kernel = createLocalKernel(localKernelOptions(baseConfig.execution.local, kernelContext(baseConfig, { warm: true })));
  });

  afterAll(async () => {
    await kernel?.close();
    site.remove();
  });

  for (const [index, path] of paths.entries()) {
    if (index < from || index >= to) continue;
    const executionId = `model-path-${String(index).padStart(4, '0')}`;
    it(`${executionId} (${path.root.name}): ${path.labels.join(' → ')}`, () => runPath(path, executionId, kernel), 30_000);
  }
});
}

async function runPath(path: ModelPath, executionId: string, kernel: Kernel): Promise<void> {
  const prescribed = model.replay(path, executionId);
  const { initial, steps } = model.complete(path, executionId);
  const outcome = steps.at(-1)?.target.context.outcome;
  const folder = tempDir('pyexec-model-run-');
  const config = configFor({
    executionsRoot: folder.path,
    // Short only where the path lets the deadline pass; long enough elsewhere never to fire.
    approvalDeadlineSeconds: prescribed.some((step) => step.label === 'DEADLINE_PASSED') ? 0.3 : 120,
    // Long only where the path cancels while a retry waits, so the cancellation comes first.
    backoffMs: prescribed.some((step) => step.label === 'CANCEL' && sourceState(step) === 'retrying') ? 1000 : 5,
  });
  const world = new ScriptedWorld({ executionId, script: new Script(prescribed), analyzer, kernel });
  const service = await startService(config, {
    kernel: world.kernel,
    analyzer: world.analyzer,
    generators: async () => world.generator,
    logger: silentLogger,
  });
  try {
    const lost = prescribed.find((step) => step.label === 'EXECUTED:lost');
    if (lost) {
      // An executor claimed this write job and vanished: the claim is there, no result.
      await service.transport.kv.create(kvKeys.jobClaim(commandIdFor(lost.source.context, 'executing')), { executor: 'vanished', at: new Date().toISOString() });
    }
    const settled = world.attach(service.client);
    const approved = path.root.approvedCode === null ? {} : { approved_code: catalogue.code[path.root.approvedCode] };
    await service.client.submit({ task_objective: `model path ${executionId}`, execution_id: executionId, ...approved });
    const summary = await settled;
    await world.idle();

    expect(world.script.problems).toEqual([]);
    expect(world.script.remaining).toEqual([]);
    const observed = world.events.flatMap((event) => (event.kind === 'state' ? [event.state] : []));
    expect(dedupe(observed)).toEqual(dedupe([initial.value as StateName, ...steps.map((step) => step.target.value as StateName)]));
    expect(summary.outcome).toBe(outcome);
    const refusedDecisions = steps.filter((step) => step.label === 'DECISION:stale' || step.label === 'DECISION:replay').length;
    expect(world.events.filter((event) => event.kind === 'decision_refused')).toHaveLength(refusedDecisions);

    // What reached Python: exactly the executions the model runs (a `lost` job never does).
    // A cancel stops the job before it reaches Python (the world holds it until the abort).
    const ran = steps.filter((step) => sourceState(step) === 'executing' && step.label === 'EXECUTED');
    expect(world.ranCommands).toEqual(ran.map((step) => commandIdFor(step.source.context, 'executing')));
    const wroteHardware = ran.some((step) => catalogue.kindOf(step.source.context.code) === 'write');
    const writeLog = join(summary.folder, writeLogName);
    if (wroteHardware) expect(readFileSync(writeLog, 'utf8')).toContain('caput SR:MAG:QF1:CURRENT_SP 12.5');
    else expect(existsSync(writeLog), 'nothing may be written to the control system').toBe(false);
    if (outcome === 'rejected' || outcome === 'expired' || outcome === 'unknown' || outcome === 'cancelled') {
      expect(existsSync(writeLog), `a ${outcome} execution wrote to the control system`).toBe(false);
    }
  } finally {
    await world.idle();
    await service.stop();
    folder.remove();
  }
}
