import { InvalidArgumentError, type Command } from "commander";
import {
  NotFoundError,
  OPERATOR_ROLES,
  operatorNameSchema,
  parseOrThrow,
  type Operator,
  type OperatorRole,
} from "@tillsync/shared";
import { generateOperatorToken } from "../auth/operator-tokens";
import { loadDatabaseConfig } from "../config";
import { openCentralDb } from "../store/database";
import { migrateCentral } from "../store/migrate";
import { operatorStore, type OperatorStore } from "../store/operators";
import { fail } from "./cli-errors";
import { envHelp } from "./env-help";

/** Runs `fn` on the operators table of DATABASE_URL (migrated first), then closes the connection. */
async function withOperators<T>(fn: (operators: OperatorStore) => Promise<T>): Promise<T> {
  const config = loadDatabaseConfig();
  const db = openCentralDb(config.DATABASE_URL, 2);
  try {
    await migrateCentral(db.pool);
    return await fn(operatorStore(db.pool));
  } finally {
    await db.close();
  }
}

function role(value: string): OperatorRole {
  if (!(OPERATOR_ROLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${OPERATOR_ROLES.join(", ")}`);
  return value as OperatorRole;
}

function line(o: Operator): string {
  const state = o.revokedAt ? `revoked ${o.revokedAt}` : "active";
  return `${o.id}  ${o.name.padEnd(20)} ${o.role.padEnd(8)} ${state}`;
}

/**
 * `operators add NAME --role R`, `operators list [--json]`, `operators revoke ID`: the same
 * operators the API manages (POST /api/operators), for bootstrapping and for a locked-out admin.
 * Needs only DATABASE_URL. The token is printed once; only its hash is stored.
 */
export function addOperatorsCommand(program: Command): void {
  const ops = program
    .command("operators")
    .description("named operators of the control center")
    .addHelpText("after", envHelp(["DATABASE_URL"]));
  ops
    .command("add <name>")
    .description("create an operator; prints its token once")
    .requiredOption("--role <role>", `one of ${OPERATOR_ROLES.join(", ")}`, role)
    .action((name: string, opts: { role: OperatorRole }) =>
      withOperators(async (operators) => {
        const valid = parseOrThrow(operatorNameSchema, name, "operator name");
        const { token, hash } = generateOperatorToken();
        const o = await operators.create({ name: valid, role: opts.role, tokenHash: hash });
        console.log(`operator ${o.name} (${o.role}) created, id ${o.id}`);
        console.log(`token: ${token}`);
        console.log("This token is shown once and only its hash is kept: store it now.");
      }).catch(fail),
    );
  ops
    .command("list")
    .description("every operator, revoked ones included")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) =>
      withOperators(async (operators) => {
        const all = await operators.list();
        if (opts.json) console.log(JSON.stringify({ operators: all }, null, 2));
        else if (all.length === 0) console.log("no operators yet; add one with: operators add NAME --role admin");
        else for (const o of all) console.log(line(o));
      }).catch(fail),
    );
  ops
    .command("revoke <id>")
    .description("revoke an operator: its token and sessions stop working")
    .action((id: string) =>
      withOperators(async (operators) => {
        const o = (await operators.get(id).catch(() => undefined)) && (await operators.revoke(id));
        if (!o) throw new NotFoundError(`operator ${id} does not exist; operators list shows the ids`);
        console.log(`operator ${o.name} revoked at ${o.revokedAt}`);
      }).catch(fail),
    );
}
