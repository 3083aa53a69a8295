/** `pyexec keys create | public | hash-password`: approver keys for signed decisions, and operator password hashes. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createKeyFile, readKeyFile } from '../../adapters/signing/decision-keys.ts';
import { hashPassword } from '../../review/passwords.ts';
import { UsageError } from '../connection.ts';

function createCommand(): Command {
  return new Command('create')
    .description('make a new approver key (ed25519 nkey): the seed goes to FILE (mode 600), the public key to stdout for approval.approvers')
    .argument('<file>', 'where to write the seed (never overwritten)')
    .action((file: string) => {
      const { publicKey } = createKeyFile(file);
      process.stdout.write(`${publicKey}\n`);
      process.stderr.write(`seed written to ${file}: keep it secret; add the public key above to approval.approvers\n`);
    });
}

function publicCommand(): Command {
  return new Command('public')
    .description('print the public key of a seed file')
    .argument('<file>', 'seed file')
    .action((file: string) => {
      process.stdout.write(`${readKeyFile(file).publicKey}\n`);
    });
}

function hashPasswordCommand(): Command {
  return new Command('hash-password')
    .description('read a password from standard input and print its scrypt hash for ui.users[].password_hash')
    .action(async () => {
      const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      if (password.length < 8) throw new UsageError('hash-password: the password must be at least 8 characters');
      process.stdout.write(`${await hashPassword(password)}\n`);
    });
}

export function keysCommand(): Command {
  return new Command('keys').description('approver keys and operator passwords').addCommand(createCommand()).addCommand(publicCommand()).addCommand(hashPasswordCommand());
}
