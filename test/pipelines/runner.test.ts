/**
 * The pipeline runner on the embedded default with real Python: stages run
 * in order with the results of the stages they name; a failed stage stops
 * its dependants (and only them); an unknown earlier execution is refused;
 * a write-mode stage waits for its approval. Pipeline files are checked
 * with the field's path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, loadConfig, type ExecutionHandle, type PyexecService } from '../../index.ts';
import { runPipeline } from '../../pipelines/runner.ts';
import { pipelineSchema } from '../../pipelines/spec.ts';
import { describeZodError } from '../../protocol/zod-error.ts';
import { writeConfigFile } from '../support/service-config.ts';
import { tempDir } from '../support/temp.ts';
import { untilState } from '../support/execution-events.ts';
import { writeCode } from '../support/fake-epics.ts';

const folder = tempDir('pyexec-pipeline-');
const setup = writeConfigFile(folder.path);
let service: PyexecService;

beforeAll(async () => {
  service = await createService(loadConfig({ path: setup.configFile }), { warmKernel: false });
});
afterAll(async () => {
  await service.stop();
  folder.remove();
});

const run = (pipeline: unknown, hooks = {}) => runPipeline(service.client, pipelineSchema.parse(pipeline), hooks);
const statuses = (outcomes: { stage: string; status: string }[]) => Object.fromEntries(outcomes.map((outcome) => [outcome.stage, outcome.status]));

describe('runPipeline', () => {
  it('runs two stages, the second with the results of the first', async () => {
    const outcomes = await run({
      stages: [
        { name: 'load', code: 'results = {"values": [1, 2, 3, 4]}' },
        { name: 'stats', code: 'v = context["load"]["values"]\nresults = {"mean": sum(v) / len(v)}', context_from: ['load'] },
      ],
    });
    expect(statuses(outcomes)).toEqual({ load: 'succeeded', stats: 'succeeded' });
    expect(outcomes[1]?.summary?.results).toEqual({ mean: 2.5 });
  });

  it('runs three stages, a stage taking two earlier ones under names of its choosing', async () => {
    const outcomes = await run({
      stages: [
        { name: 'load', code: 'results = {"values": [3, -1, 5, -2]}' },
        { name: 'clean', code: 'results = {"values": [x for x in context["load"]["values"] if x >= 0]}', context_from: ['load'] },
        {
          name: 'report',
          code: 'results = {"kept": len(context["cleaned"]["values"]), "dropped": len(context["raw"]["values"]) - len(context["cleaned"]["values"])}',
          context_from: [{ stage: 'clean', as: 'cleaned' }, { stage: 'load', as: 'raw' }],
        },
      ],
    });
    expect(statuses(outcomes)).toEqual({ load: 'succeeded', clean: 'succeeded', report: 'succeeded' });
    expect(outcomes[2]?.summary?.results).toEqual({ kept: 2, dropped: 2 });
  });

  it('stops the stages that depend on a failed one, and only those', async () => {
    const outcomes = await run({
      stages: [
        { name: 'load', code: 'results = {"values": [1, 2]}' },
        { name: 'fit', code: 'raise ValueError("the fit did not converge")', context_from: ['load'] },
        { name: 'plot', code: 'results = {"fit": context["fit"]}', context_from: ['fit'] },
        { name: 'count', code: 'results = {"n": len(context["load"]["values"])}', context_from: ['load'] },
      ],
    });
    expect(statuses(outcomes)).toEqual({ load: 'succeeded', fit: 'failed', plot: 'skipped', count: 'succeeded' });
    expect(outcomes[1]?.reason).toMatch(/ValueError: the fit did not converge/);
    expect(outcomes[2]).toMatchObject({ execution_id: null, reason: 'stage "fit" ended failed' });
  });

  it('refuses a stage naming an unknown execution, and skips its dependants', async () => {
    const outcomes = await run({
      stages: [
        { name: 'compare', code: 'results = {}', context_from: [{ execution_id: 'no-such-execution', as: 'reference' }] },
        { name: 'report', code: 'results = {}', context_from: ['compare'] },
      ],
    });
    expect(statuses(outcomes)).toEqual({ compare: 'refused', report: 'skipped' });
    expect(outcomes[0]?.reason).toMatch(/context_from\.0\.execution_id: no execution no-such-execution is known/);
  });

  it('waits for the approval of a write-mode stage, then goes on with its results', async () => {
    const approvers: Promise<unknown>[] = [];
    const outcomes = await run(
      {
        stages: [
          { name: 'set', code: writeCode },
          { name: 'check', code: 'results = {"was": context["set"]["written"]}', context_from: ['set'] },
        ],
      },
      {
        started: (stage: { name: string }, handle: ExecutionHandle) => {
          if (stage.name === 'set') approvers.push(untilState(handle, 'awaitingApproval').then(() => handle.approve({ approver: 'operator', reason: 'setpoint checked' })));
        },
      },
    );
    await Promise.all(approvers);
    expect(statuses(outcomes)).toEqual({ set: 'succeeded', check: 'succeeded' });
    expect(outcomes[0]?.summary?.execution_mode).toBe('write_access');
    expect(outcomes[1]?.summary?.results).toEqual({ was: 1.5 });
  });
});

describe('pipeline files', () => {
  const problems = (pipeline: unknown) => {
    const parsed = pipelineSchema.safeParse(pipeline);
    return parsed.success ? '' : describeZodError(parsed.error, 'pipeline');
  };

  it('refuse a reference to a stage not declared before, a stage named twice, and a stage with nothing to run', () => {
    expect(problems({ stages: [{ name: 'a', code: 'x', context_from: ['b'] }, { name: 'b', code: 'x' }] })).toMatch(/pipeline\.stages\.0\.context_from\.0: no stage "b" is declared before this one/);
    expect(problems({ stages: [{ name: 'a', code: 'x' }, { name: 'a', code: 'y' }] })).toMatch(/pipeline\.stages\.1\.name: stage "a" is declared twice/);
    expect(problems({ stages: [{ name: 'a' }] })).toMatch(/pipeline\.stages\.0\.task: give `task`, `code` or `code_file`/);
    expect(problems({ stages: [{ name: 'a b', code: 'x' }] })).toMatch(/pipeline\.stages\.0\.name: must be a Python identifier/);
    expect(problems({ stages: [{ name: 'a', code: 'x', colour: 'red' }] })).toMatch(/colour/);
  });
});
