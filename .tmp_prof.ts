import { createAnalyzer } from './adapters/analysis/index.ts';
import { generatedCode } from './bench/analysis.bench.ts';
import { parseConfig } from './config/index.ts';
const a = await createAnalyzer(parseConfig({}));
const code = generatedCode(500);
for (let i = 0; i < 300; i++) await a.analyze(code);
