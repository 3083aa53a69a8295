/**
 * The names of the wire, built in protocol/subjects.ts: the execution a
 * subject names (what a refusal on pyexec.errors reports) is read back from
 * every per-execution subject the builders make, and from nothing else.
 */
import { describe, expect, it } from 'vitest';
import { durableConsumers, executionIdOfSubject, queueGroups, subjects } from '../../protocol/subjects.ts';

const id = 'beam-mean-0001';

describe('protocol subjects', () => {
  it('reads the execution id back from every per-execution subject', () => {
    const perExecution = [
      subjects.decisions(id),
      subjects.cancels(id),
      subjects.executeResult(id),
      subjects.events(id),
      subjects.approvalRequests(id),
      subjects.audit(id),
      subjects.jobCancel(id),
    ];
    expect(perExecution.map(executionIdOfSubject)).toEqual(perExecution.map(() => id));
    expect(subjects.decisions(id)).toBe(`${subjects.decisionQueue}.${id}`);
    expect(subjects.cancels(id)).toBe(`${subjects.cancelQueue}.${id}`);
  });

  it('finds no execution in a queue subject, a shared subject or an invalid id', () => {
    for (const subject of [subjects.decisionQueue, subjects.cancelQueue, subjects.requests, subjects.errors, subjects.executeJobs('read_only'), subjects.decisions('Not_An_Id'), subjects.events('short')]) {
      expect(executionIdOfSubject(subject), subject).toBeUndefined();
    }
  });

  it('gives every durable consumer and queue group its own name', () => {
    const names = [durableConsumers.requests, durableConsumers.decisions, durableConsumers.cancels, durableConsumers.executors('read_only'), durableConsumers.executors('write'), ...Object.values(queueGroups)];
    expect(new Set(names).size).toBe(names.length);
  });
});
