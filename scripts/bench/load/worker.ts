// The load generator of one run, in its own process (pinned to core 1 by the orchestrator):
// starts the server under test, runs the scenario against it, stops it, and hands the result to
// the orchestrator. A fresh process per run, so no run inherits another's heap or JIT state.
import type { RunResult, RunSpec, WorkerMessage } from "../spec.js";
import { createSystemClient } from "./clients.js";
import { ExternalCpu } from "./external-cpu.js";
import { fanout, idleConnections, smallRooms, type ScenarioContext } from "./scenarios.js";
import { readServerLog, ServerProcess, tail } from "./server-process.js";

const tell = (message: WorkerMessage) => new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

async function run(spec: RunSpec): Promise<RunResult> {
  const started = performance.now();
  const name = `${spec.scenario}-${spec.system}${spec.db ? `-${spec.db}` : ""}${spec.sendOver ? `-${spec.sendOver}` : ""}`;
  const result: RunResult = { scenario: spec.scenario, system: spec.system, db: spec.db, sendOver: spec.sendOver, ok: false, runSeconds: 0 };
  let server: ServerProcess | null = null;
  const external = new ExternalCpu({ postgresUrl: spec.databaseUrl, applicationName: spec.pgApplicationName, redisUrl: spec.redisUrl });
  try {
    server = await ServerProcess.start(spec, name);
    await tell({ kind: "server-pid", pid: server.child.pid! });
    result.serverInfo = server.info;
    await external.open();
    const client = createSystemClient(spec.system, server.url, spec.jwtSecret, spec.sendOver ?? "http");
    const context: ScenarioContext = { spec, client, server, external, progress: (text) => void tell({ kind: "progress", text }) };
    try {
      await client.verify?.();
      const scenario = { small: smallRooms, fanout, idle: idleConnections }[spec.scenario];
      result.result = await scenario(context);
      result.ok = true;
    } finally {
      client.close();
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    if (server) {
      const log = tail(server.logFile);
      if (log) result.error += `\nserver log:\n${log}`;
    }
  } finally {
    await external.close();
    if (server) {
      // Give the last client closes a moment to reach the server before it shuts down.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.stop();
      if (server.profiles.length) result.profiles = server.profiles;
      const log = readServerLog(server.logFile);
      if (log.lines > 0) result.serverLog = log;
    }
  }
  result.runSeconds = (performance.now() - started) / 1000;
  return result;
}

process.once("message", (spec: RunSpec) => {
  run(spec).then(
    async (result) => {
      await tell({ kind: "result", result });
      // Sockets of 10,000 closed clients may still be winding down; nothing is left to wait for.
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
// The orchestrator went away: stop (the server process exits by itself when we do).
process.on("disconnect", () => setTimeout(() => process.exit(1), 1_000));
