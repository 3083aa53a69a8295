/**
 * What the analyzer reads from the configuration, and nothing more: its own
 * section (`analysis`: limits, rule severities, extra libraries), what the
 * control system permits (`control_system`: writes, patterns, the limits
 * file), the approval policy with the execution modes it picks from, and the
 * kernel's interpreter, whose compiler gives the syntax verdict. The
 * composition root (createAnalyzer) cuts these out of the whole
 * configuration, as createGenerator hands each generator its own section.
 */
import type { Config } from '../../config/schema.ts';
import type { PolicySettings } from './policy.ts';

export interface AnalyzerSettings {
  analysis: Config['analysis'];
  controlSystem: Config['control_system'];
  policy: PolicySettings;
  /** `execution.local.python_env_path`: the kernel's environment; null for the system's Python. */
  pythonEnvPath: string | null;
}

export function analyzerSettings(config: Config): AnalyzerSettings {
  return {
    analysis: config.analysis,
    controlSystem: config.control_system,
    policy: { approval: config.approval, writesEnabled: config.control_system.writes_enabled, modes: config.execution.modes },
    pythonEnvPath: config.execution.local.python_env_path,
  };
}
