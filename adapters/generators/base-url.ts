/**
 * Where an SDK-backed generator sends its requests: `base_url` from its
 * section, else the variable the vendor's SDK and most tools read
 * (OPENAI_BASE_URL, ANTHROPIC_BASE_URL: a proxy, a gateway, a local server),
 * else the vendor's API. A default in the schema would hide the variable,
 * so the section's field has none.
 */
import { z } from 'zod';
import { GeneratorConfigError, sectionPath } from './config-error.ts';

export interface BaseUrlSource {
  /** The environment variable that is the default, e.g. OPENAI_BASE_URL. */
  variable: string;
  /** Used when neither the section nor the variable gives one. */
  vendorUrl: string;
}

export function resolveBaseUrl(configured: string | undefined, source: BaseUrlSource, name: string, env: NodeJS.ProcessEnv): string {
  if (configured !== undefined) return configured;
  const fromEnv = env[source.variable]?.trim();
  if (!fromEnv) return source.vendorUrl;
  const keyPath = [...sectionPath(name), 'base_url'].join('.');
  // `localhost:8000` parses as a URL of scheme "localhost": only http(s) is an API root.
  if (!z.url({ protocol: /^https?$/ }).safeParse(fromEnv).success) {
    throw new GeneratorConfigError(`the environment variable ${source.variable} = "${fromEnv}" (the default of ${keyPath}): expected an http(s) URL`, keyPath, source.variable);
  }
  return fromEnv;
}
