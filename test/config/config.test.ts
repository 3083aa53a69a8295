import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, interpolate, loadConfig, parseConfig } from '../../config/load.ts';
import { tempDir } from '../support/temp.ts';

const folder = tempDir('pyexec-config-');
afterAll(() => folder.remove());

describe('configuration', () => {
  it('has defaults for everything: in-process, local Python, mock generator, writes off', () => {
    const config = parseConfig({});
    expect(config.execution.execution_method).toBe('local');
    expect(config.execution.code_generator).toBe('mock');
    expect(config.control_system.writes_enabled).toBe(false);
    expect(config.execution.modes.read_only?.allows_writes).toBe(false);
    expect(config.approval.capabilities.python_execution.mode).toBe('control_writes');
    expect(config.observability).toMatchObject({ otlp_endpoint: null, otlp_protocol: 'http/protobuf', metrics_port: null });
  });

  it('names the OTLP protocols it takes when given another', () => {
    expect(() => parseConfig({ observability: { otlp_protocol: 'grpc' } })).toThrow(/observability\.otlp_protocol = "grpc": .*"http\/protobuf".*"http\/json"/);
  });

  it('accepts the seeds aliases: container for jupyter, epics_writes for control_writes', () => {
    const config = parseConfig({
      execution: { execution_method: 'container' },
      approval: { capabilities: { python_execution: { mode: 'epics_writes' } } },
    });
    expect(config.execution.execution_method).toBe('jupyter');
    expect(config.approval.capabilities.python_execution.mode).toBe('control_writes');
  });

  it('interpolates ${VAR} and ${VAR:-default} in values only', () => {
    const env = { MODEL: 'gpt-x', EMPTY: '' };
    expect(interpolate({ a: '${MODEL}', b: ['${MISSING:-fallback}', '${EMPTY:-d}'], c: 3 }, env)).toEqual({ a: 'gpt-x', b: ['fallback', 'd'], c: 3 });
    const config = parseConfig({ python_executor: { execution_timeout_seconds: 5 }, service: { executions_root: '${ROOT:-/srv/pyexec}' } }, 'inline', {});
    expect(config.service.executions_root).toBe('/srv/pyexec');
  });

  it('reports an unknown key and a wrong type with the key path, the value and what was expected', () => {
    const attempt = () => parseConfig({ execution: { modes: { read_only: { kernel_name: 'k', allows_writes: 'no' } } }, colour: 'blue' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/execution\.modes\.read_only\.allows_writes = "no": .*expected boolean/);
    expect(attempt).toThrow(/colour: unknown key \(value "blue"\)/);
  });

  it('requires a read_only mode and a mode that allows writes', () => {
    expect(() => parseConfig({ execution: { modes: { only: { kernel_name: 'k', allows_writes: false } } } })).toThrow(/must define a read_only mode/);
  });

  it('loads pyexec.config.yaml from the working folder, an explicit path, or nothing', () => {
    const cwd = join(folder.path, 'project');
    mkdirSync(cwd, { recursive: true });
    expect(loadConfig({ cwd }).python_executor.max_generation_retries).toBe(3);
    writeFileSync(join(cwd, 'pyexec.config.yaml'), 'python_executor:\n  max_generation_retries: 5\n');
    expect(loadConfig({ cwd }).python_executor.max_generation_retries).toBe(5);
    expect(() => loadConfig({ cwd, path: 'missing.yaml' })).toThrow(/file not found/);
    writeFileSync(join(cwd, 'broken.yaml'), 'a: [1, 2\n');
    expect(() => loadConfig({ cwd, path: 'broken.yaml' })).toThrow(/not valid YAML/);
  });
});
