/**
 * Where a generator's API key comes from: `api_key` in its section (usually
 * `${VAR}`, interpolated by the config loader) or the environment variable
 * named by `api_key_env`. A missing key fails at start-up with the exact
 * variable to set, never at the first request.
 */
import { z } from 'zod';
import { GeneratorConfigError, sectionPath } from './config-error.ts';

/** Sent to servers that need no key (Ollama, llama.cpp, vLLM without --api-key): the SDKs insist on one. */
const placeholderKey = 'no-key-needed';

export function apiKeyFields(defaultVariable: string) {
  return {
    api_key: z.string().optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .default(defaultVariable),
    /** False for local servers that accept any key. */
    api_key_required: z.boolean().default(true),
  };
}

export interface ApiKeySettings {
  api_key?: string | undefined;
  api_key_env: string;
  api_key_required: boolean;
}

export interface ApiKey {
  value: string;
  /** Where it came from, for messages: never the key itself. */
  source: string;
}

export function resolveApiKey(settings: ApiKeySettings, name: string, env: NodeJS.ProcessEnv): ApiKey {
  const path = sectionPath(name).join('.');
  const configured = settings.api_key?.trim();
  if (configured) return { value: configured, source: `${path}.api_key` };
  const fromEnv = env[settings.api_key_env]?.trim();
  if (fromEnv) return { value: fromEnv, source: `the environment variable ${settings.api_key_env}` };
  if (!settings.api_key_required) return { value: placeholderKey, source: 'no key (api_key_required: false)' };
  throw new GeneratorConfigError(
    `no API key for generator "${name}": set the environment variable ${settings.api_key_env}` +
      ` (named by ${path}.api_key_env), or give ${path}.api_key` +
      (settings.api_key === undefined ? '' : ' (it is empty: if it reads ${VAR}, that variable is unset)') +
      `; for a local server that needs no key, set ${path}.api_key_required: false`,
    `${path}.api_key_env`,
    settings.api_key_env,
  );
}
