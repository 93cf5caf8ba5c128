// Where the HS256 secret comes from: JWT_SECRET, or (development) a random secret generated once
// into DATA_DIR so that `npm start` works with no configuration and restarts keep tokens valid.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config.js";

export interface JwtSecret {
  secret: string;
  /** Set when the secret was read from or written to DATA_DIR rather than configured. */
  generatedFile?: string;
}

export function jwtSecretFile(config: Pick<Config, "DATA_DIR">): string {
  return join(config.DATA_DIR, "jwt-secret");
}

export function resolveJwtSecret(config: Pick<Config, "JWT_SECRET" | "DATA_DIR">): JwtSecret {
  if (config.JWT_SECRET) return { secret: config.JWT_SECRET };
  const file = jwtSecretFile(config);
  if (!existsSync(file)) {
    mkdirSync(config.DATA_DIR, { recursive: true });
    // "wx" fails if another process wrote it first; that one's secret is then read below.
    try {
      writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return { secret: readFileSync(file, "utf8").trim(), generatedFile: file };
}
