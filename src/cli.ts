#!/usr/bin/env node
// realtime-chat-graphql <command>: start | migrate | token <userId> [--staff] [--name <username>] | seed-demo
import { signToken } from "./auth/authenticate.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import { loadConfig } from "./config.js";
import { createDatabase } from "./db/client.js";
import { migrateDatabase } from "./db/migrate.js";
import { seedDemo } from "./db/seed-demo.js";

const USAGE = `usage: realtime-chat-graphql <command>
  start                                   start the server (same as npm start)
  migrate                                 apply pending database migrations
  token <userId> [--staff] [--name NAME]  print a bearer token signed with the configured secret
  seed-demo                               add demo users, rooms and messages (once; safe to rerun)`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
      await import("./main.js");
      return -1;
    case "migrate": {
      const config = loadConfig();
      const { applied } = await migrateDatabase(config.DATABASE_URL);
      console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
      return 0;
    }
    case "token": {
      const userId = rest.find((arg, i) => !arg.startsWith("--") && rest[i - 1] !== "--name");
      if (!userId) break;
      const nameIndex = rest.indexOf("--name");
      const name = nameIndex >= 0 ? rest[nameIndex + 1] : undefined;
      const { secret } = resolveJwtSecret(loadConfig());
      console.log(await signToken(secret, { sub: userId, name, staff: rest.includes("--staff") }));
      return 0;
    }
    case "seed-demo": {
      const config = loadConfig();
      await migrateDatabase(config.DATABASE_URL);
      const database = await createDatabase(config.DATABASE_URL);
      await database.open();
      try {
        const demo = await seedDemo(database, { notify: config.ENABLE_NOTIFICATIONS });
        console.log(demo.created ? "demo data created" : "demo data already present; nothing added");
        console.log(`users:   ${demo.users.join(", ")}`);
        console.log(`group:   ${demo.group.id}  "${demo.group.name}" (alice, bob, carol)`);
        console.log(`channel: ${demo.channel.id}  "${demo.channel.name}" (public; alice, bob)`);
        console.log(`chat:    ${demo.chat.id}  (alice, bob)`);
        console.log("tokens:  npx realtime-chat-graphql token alice");
      } finally {
        await database.close();
      }
      return 0;
    }
  }
  console.error(USAGE);
  return 2;
}

run(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
