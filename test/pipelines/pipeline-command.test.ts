/**
 * `pyexec pipeline FILE.yaml` end to end, as a person runs it: on the
 * embedded default (the service in the command's process, approvals with
 * --yes) and over NATS (a `pyexec serve` deployment; a write stage approved
 * by an operator's client while the command waits). Each stage's outcome is
 * printed; the exit status is the first stage that did not succeed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfigFile } from '../support/service-config.ts';
import { runCli, startCli } from '../support/cli.ts';
import { startNatsDeployment, type NatsDeployment } from '../support/nats-deployment.ts';
import { tempDir } from '../support/temp.ts';
import { writeCode } from '../support/fake-epics.ts';

const folder = tempDir('pyexec-pipeline-cli-');
const setup = writeConfigFile(folder.path);

function pipelineFile(name: string, pipeline: unknown): string {
  const path = join(folder.path, `${name}.yaml`);
  writeFileSync(path, stringify(pipeline));
  return path;
}

const threeStages = {
  name: 'beam study',
  stages: [
    { name: 'load', code: 'results = {"values": [1, 2, 3, 4]}' },
    { name: 'stats', code_file: 'stats.py', context_from: ['load'] },
    { name: 'report', code: 'results = {"line": "mean %.2f of %d" % (context["s"]["mean"], context["s"]["n"])}', context_from: [{ stage: 'stats', as: 's' }] },
  ],
};
writeFileSync(join(folder.path, 'stats.py'), 'v = context["load"]["values"]\nresults = {"mean": sum(v) / len(v), "n": len(v)}\n');

afterAll(() => folder.remove());

describe('pyexec pipeline on the embedded default', () => {
  it('runs three stages and prints each outcome', async () => {
    const result = await runCli(['pipeline', pipelineFile('three', threeStages), '--config', setup.configFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^stage load: succeeded \(execution \S+\) results \{"values":\[1,2,3,4\]\}$/m);
    expect(result.stdout).toMatch(/^stage report: succeeded .*"line":"mean 2\.50 of 4"/m);
  });

  it('stops the dependants of a failed stage, exits 1, and reports JSON', async () => {
    const failing = {
      stages: [
        { name: 'load', code: 'results = {"values": []}' },
        { name: 'stats', code: 'v = context["load"]["values"]\nresults = {"mean": sum(v) / len(v)}', context_from: ['load'] },
        { name: 'report', code: 'results = context["stats"]', context_from: ['stats'] },
      ],
    };
    const result = await runCli(['pipeline', pipelineFile('failing', failing), '--json', '--config', setup.configFile]);
    expect(result.code).toBe(1);
    const { stages } = JSON.parse(result.stdout) as { stages: { stage: string; status: string; reason: string }[] };
    expect(stages.map((stage) => [stage.stage, stage.status])).toEqual([['load', 'succeeded'], ['stats', 'failed'], ['report', 'skipped']]);
    expect(stages[1]?.reason).toMatch(/ZeroDivisionError/);
  });

  it('approves a write stage with --yes', async () => {
    const file = pipelineFile('write', { stages: [{ name: 'set', code: writeCode }, { name: 'check', code: 'results = context["set"]', context_from: ['set'] }] });
    const result = await runCli(['pipeline', file, '--yes', '--config', setup.configFile]);
    expect(result.stdout).toMatch(/^stage check: succeeded .*\{"written":1\.5\}/m);
    expect(result.code).toBe(0);
  });

  it('refuses a bad pipeline file with the field, exit 2', async () => {
    const result = await runCli(['pipeline', pipelineFile('bad', { stages: [{ name: 'a', code: 'x', context_from: ['later'] }] }), '--config', setup.configFile]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pipeline\.stages\.0\.context_from\.0: no stage "later" is declared before this one/);
  });
});

describe('--context-from on pyexec run', () => {
  it("gives the code an earlier execution's results under the name given, and refuses an unknown id with exit 2", async () => {
    const common = ['--config', setup.configFile, '--state-dir', join(folder.path, 'run-state'), '--json'];
    writeFileSync(join(folder.path, 'load.py'), 'results = {"values": [5, 7]}\n');
    writeFileSync(join(folder.path, 'use.py'), 'results = {"total": sum(context["raw"]["values"])}\n');
    const first = JSON.parse((await runCli(['run', 'load', '--code', join(folder.path, 'load.py'), ...common])).stdout) as { execution_id: string };
    const second = await runCli(['run', 'use', '--code', join(folder.path, 'use.py'), '--context-from', `${first.execution_id}:raw`, ...common]);
    expect(JSON.parse(second.stdout)).toMatchObject({ outcome: 'succeeded', results: { total: 12 } });
    const unknown = await runCli(['run', 'use', '--code', join(folder.path, 'use.py'), '--context-from', 'no-such-execution', ...common]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/context_from\.0\.execution_id: no execution no-such-execution/);
  }, 180_000); // three commands, each loading the whole service through tsx
});

describe('pyexec pipeline over NATS', () => {
  let deployment: NatsDeployment;
  beforeAll(async () => {
    deployment = await startNatsDeployment(setup.configFile);
  }, 120_000);
  afterAll(async () => deployment?.stop());

  it('runs three stages end to end', async () => {
    const result = await runCli(['pipeline', pipelineFile('three-nats', threeStages), '--nats', deployment.nats.url, '--config', setup.configFile]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^stage report: succeeded .*"line":"mean 2\.50 of 4"/m);
  });

  it('waits for an operator to approve a write stage, then runs the stage that depends on it', async () => {
    const file = pipelineFile('write-nats', { stages: [{ name: 'set', code: writeCode }, { name: 'check', code: 'results = context["set"]', context_from: ['set'] }] });
    const command = startCli(['pipeline', file, '--nats', deployment.nats.url, '--config', setup.configFile]);
    await command.waitForStderr('waits for an approver', 60_000);
    const [pending] = (await deployment.client.list()).filter((view) => view.state === 'awaitingApproval');
    await deployment.client.decide(pending?.execution_id ?? '', 'approve', { reason: 'setpoint checked', approver: 'operator' });
    const result = await command.result;
    expect(result.stdout).toMatch(/^stage set: succeeded/m);
    expect(result.stdout).toMatch(/^stage check: succeeded .*\{"written":1\.5\}/m);
    expect(result.code).toBe(0);
  });
});
