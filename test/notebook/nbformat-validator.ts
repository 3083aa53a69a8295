/**
 * Jupyter's own notebook validator (Debian's python3-nbformat, run by
 * /usr/bin/python3), for tests. The raw JSON is validated as written —
 * not through nbformat.read, which would silently repair some mistakes
 * (missing or duplicate cell ids).
 */
import { spawnSync } from 'node:child_process';

const python = '/usr/bin/python3';
const installHint = 'install it with: apt-get install python3-nbformat (scripts/setup.sh does)';

const script = String.raw`
import json, sys
import nbformat
from nbformat.validator import ValidationError
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        if raw.get("nbformat") != 4:
            raise ValueError("nbformat must be 4, got %r" % raw.get("nbformat"))
        nbformat.validate(raw, version=4, version_minor=raw.get("nbformat_minor"), repair_duplicate_cell_ids=False)
        print(json.dumps({"path": path, "error": None}))
    except (ValidationError, ValueError) as e:
        print(json.dumps({"path": path, "error": str(e)[:2000]}))
`;

export interface ValidationOutcome {
  path: string;
  /** null when the notebook is valid. */
  error: string | null;
}

/** Validates notebooks in one Python process; throws when nbformat is not installed. */
export function validateNotebooks(paths: readonly string[]): ValidationOutcome[] {
  const run = spawnSync(python, ['-c', script, ...paths], { encoding: 'utf8' });
  if (run.error) throw new Error(`${python} could not run (${run.error.message}); ${installHint}`);
  if (run.status !== 0) {
    if (run.stderr.includes('No module named')) throw new Error(`python3-nbformat is missing: ${installHint}`);
    throw new Error(`nbformat validator failed (exit ${String(run.status)}):\n${run.stderr}`);
  }
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ValidationOutcome);
}
