import { createAnalyzer } from './adapters/analysis/index.ts';
import { parseConfig } from './config/index.ts';
const a = await createAnalyzer(parseConfig({ control_system: { writes_enabled: process.env.W === '1' } }));
const code = process.argv[2] ?? '';
console.log(JSON.stringify(await a.analyze(code), null, 1));
