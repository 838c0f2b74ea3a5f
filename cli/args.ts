// Command-line arguments the way every `amur` command takes them: `--name value` options (some
// repeatable), `--flag` switches and positional arguments. An unknown or valueless option is a
// usage error, reported by the command's own translated usage message.
export interface ParsedArgs {
  opts: Record<string, string>;
  /** Every value of a repeatable option, in order. */
  multi: Record<string, string[]>;
  flags: Set<string>;
  rest: string[];
}

export function parseArgs(
  args: string[],
  spec: { valued?: string[]; repeated?: string[]; flags?: string[] },
  usage: () => never,
): ParsedArgs {
  const out: ParsedArgs = { opts: {}, multi: {}, flags: new Set(), rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      out.rest.push(a);
      continue;
    }
    const name = a.slice(2);
    if (spec.flags?.includes(name)) out.flags.add(name);
    else if ((spec.valued?.includes(name) || spec.repeated?.includes(name)) && i + 1 < args.length && !args[i + 1]!.startsWith('--')) {
      const v = args[++i]!;
      if (spec.repeated?.includes(name)) (out.multi[name] ??= []).push(v);
      else out.opts[name] = v;
    } else usage();
  }
  return out;
}
