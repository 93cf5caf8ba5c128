// Resolves a "<module path or package>#<ExportName>" setting (the default export without "#") to a
// class, for every pluggable handler (PERMISSION_HANDLER, EVENT_HANDLER). Any failure stops the
// start with a message that names the setting, the module and the export.
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Is `value` the class `base`, a subclass of it, or a class marked with `brand`: a subclass of
 * another copy of this package (an application's own dependency) is not `instanceof` ours. */
export function isBrandedSubclass(value: unknown, base: abstract new (...args: never[]) => unknown, brand: symbol): boolean {
  return (
    typeof value === "function" &&
    (value === base || value.prototype instanceof base || (value as unknown as Record<symbol, unknown>)[brand] === true)
  );
}

/** Why a handler setting could not be turned into a class. */
export class HandlerLoadError extends Error {
  override name = "HandlerLoadError";
}

export interface HandlerKind<T> {
  /** The configuration key, named in every message (e.g. "EVENT_HANDLER"). */
  setting: string;
  /** The createChatServer option that may pass the class itself (e.g. "eventHandler"). */
  option: string;
  /** The class to subclass, named in messages; also what an empty setting loads. */
  base: T & { name: string };
  isSubclass(value: unknown): value is T;
  /** The error class the messages are thrown as. */
  LoadError: new (message: string) => HandlerLoadError;
}

function moduleUrl(specifier: string, cwd: string): string {
  if (specifier.startsWith(".") || isAbsolute(specifier)) {
    return pathToFileURL(resolve(cwd, specifier)).href;
  }
  // A package: resolve it from the application's folder, not from this package's.
  try {
    return pathToFileURL(createRequire(join(cwd, "package.json")).resolve(specifier)).href;
  } catch {
    return specifier;
  }
}

export async function loadHandlerClass<T>(
  kind: HandlerKind<T>,
  setting: string | T | undefined,
  cwd: string = process.cwd(),
): Promise<T> {
  const { setting: key, base, LoadError } = kind;
  if (setting === undefined || setting === "") return base;
  if (typeof setting !== "string") {
    if (kind.isSubclass(setting)) return setting;
    throw new LoadError(`the ${kind.option} option is not a ${base.name} subclass`);
  }
  const hash = setting.lastIndexOf("#");
  const specifier = hash >= 0 ? setting.slice(0, hash) : setting;
  const exportName = hash >= 0 ? setting.slice(hash + 1) : "default";
  if (!specifier || !exportName) {
    throw new LoadError(`${key}="${setting}" must look like "<module>#<ExportName>"`);
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(moduleUrl(specifier, cwd))) as Record<string, unknown>;
  } catch (error) {
    throw new LoadError(`${key}: cannot load module "${specifier}": ${(error as Error).message}`);
  }
  const exported = loaded[exportName];
  if (exported === undefined) {
    throw new LoadError(`${key}: module "${specifier}" has no export "${exportName}"`);
  }
  if (!kind.isSubclass(exported)) {
    throw new LoadError(`${key}: export "${exportName}" of "${specifier}" is not a subclass of ${base.name}`);
  }
  return exported;
}
