/** Builders for statechart inputs and protocol messages used across tests. */
import { randomUUID } from 'node:crypto';
import type { AnalysisResult, ExecuteJob, ExecuteResult } from '../../protocol/internal.ts';
import type { ApprovalDecision } from '../../protocol/public.ts';
import { executionRequestSchema, type ExecutionRequestInput } from '../../protocol/public.ts';
import type { ExecutionInput, ExecutionPolicy } from '../../machines/execution-types.ts';
import { sha256Hex } from '../../machines/execution-rules.ts';

export const testPolicy: ExecutionPolicy = {
  maxGenerationAttempts: 3,
  maxExecutionAttempts: 2,
  maxInfrastructureRetries: 2,
  approvalDeadlineMs: 60_000,
  backoffBaseMs: 10,
  backoffMaxMs: 100,
};

export function executionInput(request: Partial<ExecutionRequestInput> = {}, at = '2026-01-01T00:00:00.000Z'): ExecutionInput {
  return {
    executionId: 'exec-0001',
    request: executionRequestSchema.parse({ task_objective: 'compute a mean', ...request }),
    folder: '/tmp/pyexec-test-folder',
    policy: testPolicy,
    at,
  };
}

export function analysis(code: string, overrides: Partial<AnalysisResult> = {}): AnalysisResult {
  return {
    passed: true,
    syntax_valid: true,
    findings: [],
    control_system: { reads: [], writes: [] },
    execution_mode: 'read_only',
    requires_approval: false,
    reasoning: ['no control-system writes'],
    code_sha256: sha256Hex(code),
    analyzer: 'test',
    duration_ms: 1,
    ...overrides,
  };
}

/** A kernel job for `code` in `folder`: read-only, a fresh id, 60 s, unless overridden. */
export function executeJob(code: string, folder: string, overrides: Partial<ExecuteJob> = {}): ExecuteJob {
  const id = overrides.execution_id ?? randomUUID();
  return {
    command_id: `${id}:execute:1`,
    execution_id: id,
    attempt: 1,
    code,
    code_sha256: sha256Hex(code),
    mode: 'read_only',
    allows_writes: false,
    folder,
    timeout_seconds: 60,
    ...overrides,
  };
}

export function executeResult(commandId: string, overrides: Partial<ExecuteResult> = {}): ExecuteResult {
  return {
    command_id: commandId,
    execution_id: 'exec-0001',
    status: 'succeeded',
    results: { x: 1 },
    stdout: '',
    stderr: '',
    output_truncated: false,
    figures: [],
    outputs: [],
    duration_ms: 5,
    executor: 'test',
    ...overrides,
  };
}

export function decision(approvalId: string, code: string, overrides: Partial<ApprovalDecision> = {}): ApprovalDecision {
  return {
    execution_id: 'exec-0001',
    approval_id: approvalId,
    code_sha256: sha256Hex(code),
    verdict: 'approve',
    reason: '',
    approver: 'operator',
    decided_at: '2026-01-01T00:00:01.000Z',
    ...overrides,
  };
}
