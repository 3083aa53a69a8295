/**
 * The built-in rule families, in the order their checks see each node (the
 * order of findings at one position). An embedding application registers
 * more with `createAnalyzer(config, { ruleFamilies })`.
 */
import type { RuleFamily } from '../rule-family.ts';
import { codeEscapeFamily } from './code-escapes.ts';
import { controlFamily } from './control.ts';
import { fileFamily } from './files.ts';
import { introspectionFamily } from './introspection.ts';
import { namedApiFamily } from './named-api.ts';
import { resultFamily } from './results.ts';

export const builtinRuleFamilies: readonly RuleFamily[] = [namedApiFamily, introspectionFamily, fileFamily, codeEscapeFamily, controlFamily, resultFamily];
