/**
 * The roles of the shipped nats-server.conf with test passwords: the server's
 * environment, each role's login as a NATS client (`user`/`pass`) and as the
 * environment of a pyexec process (PYEXEC_NATS_USER/PASSWORD).
 */
import { fileURLToPath } from 'node:url';

export const natsConfigFile = fileURLToPath(new URL('../../nats-server.conf', import.meta.url));

/** What nats-server.conf reads its passwords from. */
export const rolePasswords = {
  PYEXEC_NATS_SERVICE_PASSWORD: 'service-secret',
  PYEXEC_NATS_REQUESTER_PASSWORD: 'requester-secret',
  PYEXEC_NATS_APPROVER_PASSWORD: 'approver-secret',
  PYEXEC_NATS_EXECUTOR_PASSWORD: 'executor-secret',
};

export const roleLogins = {
  service: { user: 'pyexec-service', pass: rolePasswords.PYEXEC_NATS_SERVICE_PASSWORD },
  requester: { user: 'pyexec-requester', pass: rolePasswords.PYEXEC_NATS_REQUESTER_PASSWORD },
  approver: { user: 'pyexec-approver', pass: rolePasswords.PYEXEC_NATS_APPROVER_PASSWORD },
  executor: { user: 'pyexec-executor', pass: rolePasswords.PYEXEC_NATS_EXECUTOR_PASSWORD },
};

export function roleEnvironment(role: keyof typeof roleLogins): { PYEXEC_NATS_USER: string; PYEXEC_NATS_PASSWORD: string } {
  const { user, pass } = roleLogins[role];
  return { PYEXEC_NATS_USER: user, PYEXEC_NATS_PASSWORD: pass };
}
