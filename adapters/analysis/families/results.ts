/** The `results` dict an execution returns: code that never assigns it returns nothing. */
import { defineRuleFamily, rule } from '../rule-family.ts';

export const resultRules = {
  'results.not_assigned': rule('warning', 'the code never assigns the `results` dict'),
};

export const resultFamily = defineRuleFamily('results', resultRules, ({ scopes, report }) => ({
  finish() {
    if (!scopes.module.bindings.has('results')) {
      report('results.not_assigned', 'the code never assigns the `results` dict, so the execution will return no results', null);
    }
  },
}));
