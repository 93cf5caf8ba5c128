// Resolves the PERMISSION_HANDLER setting, "<module path or package>#<ExportName>" (the default
// export without "#"), to a PermissionHandler subclass. Any failure stops the start with a
// message that names the setting, the module and the export.
import { createRequire } from "node:module";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isPermissionHandlerClass, PermissionHandler, type PermissionHandlerClass } from "./permission-handler.js";

export class PermissionHandlerLoadError extends Error {
  override name = "PermissionHandlerLoadError";
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

export async function loadPermissionHandler(
  setting: string | PermissionHandlerClass | undefined,
  cwd: string = process.cwd(),
): Promise<PermissionHandlerClass> {
  if (setting === undefined || setting === "") return PermissionHandler;
  if (typeof setting !== "string") {
    if (isPermissionHandlerClass(setting)) return setting;
    throw new PermissionHandlerLoadError("the permissionHandler option is not a PermissionHandler subclass");
  }
  const hash = setting.lastIndexOf("#");
  const specifier = hash >= 0 ? setting.slice(0, hash) : setting;
  const exportName = hash >= 0 ? setting.slice(hash + 1) : "default";
  if (!specifier || !exportName) {
    throw new PermissionHandlerLoadError(`PERMISSION_HANDLER="${setting}" must look like "<module>#<ExportName>"`);
  }
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(moduleUrl(specifier, cwd))) as Record<string, unknown>;
  } catch (error) {
    throw new PermissionHandlerLoadError(
      `PERMISSION_HANDLER: cannot load module "${specifier}": ${(error as Error).message}`,
    );
  }
  const exported = loaded[exportName];
  if (exported === undefined) {
    throw new PermissionHandlerLoadError(`PERMISSION_HANDLER: module "${specifier}" has no export "${exportName}"`);
  }
  if (!isPermissionHandlerClass(exported)) {
    throw new PermissionHandlerLoadError(
      `PERMISSION_HANDLER: export "${exportName}" of "${specifier}" is not a subclass of PermissionHandler`,
    );
  }
  return exported;
}
