export { configSchema, type Config, type ConfigInput, type ExecutionModeConfig } from './schema.ts';
export { loadConfig, parseConfig, ConfigError, defaultConfigFile } from './load.ts';
