import { createAnalyzer } from './adapters/analysis/index.ts';
import { generatedCode } from './bench/analysis.bench.ts';
import { parseConfig } from './config/index.ts';
const a = await createAnalyzer(parseConfig({}));
const code = generatedCode(5000);
for (let i = 0; i < 10; i++) await a.analyze(code);
