// Command-line options of the scripts (npm run bench, npm run chaos): `--name value`,
// `--name=value` and bare `--flag`s, read into maps; anything else ends the script through `fail`.
export interface ParsedOptions {
  values: Map<string, string>;
  flags: Set<string>;
  /** The number given for `--name`, or `fallback`; fails unless it is at least `min`. */
  number(name: string, fallback: number, min: number): number;
}

export function parseOptions(
  argv: string[],
  known: { flags: readonly string[]; valued: readonly string[] },
  fail: (message: string) => never,
): ParsedOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) fail(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (known.valued.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`--${name} needs a value`);
      values.set(name, value);
    } else if (known.flags.includes(name)) flags.add(name);
    else fail(`unknown option --${name}`);
  }
  const number = (name: string, fallback: number, min: number) => {
    const given = values.get(name);
    if (given === undefined) return fallback;
    const value = Number(given);
    if (!Number.isFinite(value) || value < min) fail(`--${name} must be a number >= ${min}`);
    return value;
  };
  return { values, flags, number };
}
