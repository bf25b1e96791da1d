/**
 * Creates a SUPERADMIN (who sees every broker). There is no HTTP path to this role on purpose.
 *
 *   SUPERADMIN_PASSWORD='…' npm run create-superadmin -- ops@example.com
 */
import { AuthService } from '../src/auth/service';
import { loadConfig } from '../src/config';
import { initOrm } from '../src/db/orm';
import { loadDotEnv } from '../src/env';
import { Email, Password } from '../src/http/schemas';
import { exitOnStartupError } from '../src/startup';

async function main(): Promise<void> {
  loadDotEnv();
  const email = Email.safeParse(process.argv[2]);
  const password = Password.safeParse(process.env.SUPERADMIN_PASSWORD);
  if (!email.success || !password.success) {
    console.error('usage: SUPERADMIN_PASSWORD=<8+ chars with a digit and a symbol> npm run create-superadmin -- <email>');
    process.exit(2);
  }
  const config = loadConfig();
  const orm = await initOrm(config);
  try {
    const user = await new AuthService(config).createUser(orm.em.fork(), { tenantId: null, email: email.data, password: password.data, name: 'Super admin', role: 'SUPERADMIN' });
    console.log(`created SUPERADMIN ${user.email} (${user.id})`);
  } finally {
    await orm.close(true);
  }
}

main().catch((err: Error & { code?: string }) => {
  if (err.code === 'email_taken') {
    console.error(`create-superadmin: ${err.message}`);
    process.exit(1);
  }
  exitOnStartupError('create-superadmin')(err);
});
