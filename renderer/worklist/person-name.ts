// Display of a DICOM Person Name (PS3.5 6.2): up to three component groups separated by "="
// (alphabetic, ideographic, phonetic), each with components family^given^middle^prefix^suffix.
// Plain TypeScript with no DOM, so the rules are unit-tested in Node.

export interface PersonNameParts {
  alphabetic: string;
  ideographic: string;
  phonetic: string;
}

/** Ideographic names are written family-then-given with no space between them (王小东). */
function group(raw: string | undefined, joiner: string): string {
  if (!raw) return '';
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = raw.split('^').map((c) => c.trim());
  return [prefix, family, given, middle, suffix].filter((c) => c).join(joiner);
}

export function personNameParts(pn: string): PersonNameParts {
  const [a, i, p] = (pn ?? '').split('=');
  return { alphabetic: group(a, ' '), ideographic: group(i, ''), phonetic: group(p, ' ') };
}

/** Lowercased text of every group, for searching by any spelling of the name. */
export function personNameSearchText(pn: string): string {
  const parts = personNameParts(pn);
  return `${parts.alphabetic} ${parts.ideographic} ${parts.phonetic} ${pn}`.toLowerCase();
}
