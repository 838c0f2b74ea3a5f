// Orientation markers (the patient direction at each edge of the displayed image) from Image
// Orientation (Patient), following rotation and flips of the view. Letters are the DICOM ones
// (PS3.3 C.7.6.1.1.1: L/R, A/P, H/F), shown as the standard writes them in every language, as
// radiologists read them everywhere. A projection radiograph has no Image Orientation (Patient):
// its Patient Orientation (0020,0020) letters are turned into directions and follow the same path.

/** The dominant patient directions of a direction cosine vector, strongest first (up to two). */
export function directionOf(v: readonly number[]): string {
  const letters: [string, string][] = [['L', 'R'], ['P', 'A'], ['H', 'F']];
  const axes = [0, 1, 2]
    .map((i) => ({ i, a: Math.abs(v[i]) }))
    .filter((x) => x.a > 0.25)
    .sort((x, y) => y.a - x.a)
    .slice(0, 2);
  // +x is the patient's left, +y posterior, +z head (the DICOM patient coordinate system).
  return axes.map(({ i }) => (v[i] > 0 ? letters[i][0] : letters[i][1])).join('');
}

function negate(v: readonly number[]): number[] {
  return v.map((x) => -x);
}

export interface Markers {
  top: string;
  bottom: string;
  left: string;
  right: string;
}

/**
 * Markers for an image whose rows run along `row` and columns along `column`, shown rotated by
 * `rotation` degrees clockwise after optional horizontal and vertical flips (cornerstone's order).
 */
export function orientationMarkers(iop: readonly number[], rotation: number, hflip: boolean, vflip: boolean): Markers {
  let right = iop.slice(0, 3);
  let bottom = iop.slice(3, 6);
  if (hflip) right = negate(right);
  if (vflip) bottom = negate(bottom);
  const turns = ((Math.round(rotation / 90) % 4) + 4) % 4;
  for (let i = 0; i < turns; i++) {
    // A clockwise quarter turn: what was at the top is now at the right.
    const newRight = negate(bottom);
    bottom = right;
    right = newRight;
  }
  return { right: directionOf(right), left: directionOf(negate(right)), bottom: directionOf(bottom), top: directionOf(negate(bottom)) };
}

const LETTER: Record<string, [number, number, number]> = { L: [1, 0, 0], R: [-1, 0, 0], P: [0, 1, 0], A: [0, -1, 0], H: [0, 0, 1], F: [0, 0, -1] };

/**
 * A direction standing for Patient Orientation letters ("A", "FL"): the first letter strongest, the
 * next ones weaker but above directionOf's threshold, so directionOf gives the same letters back.
 */
export function directionFromLetters(letters: string): number[] {
  const v = [0, 0, 0];
  [...letters.toUpperCase()].forEach((c, i) => {
    const d = LETTER[c];
    if (!d) return;
    const w = [1, 0.6, 0.4][i] ?? 0;
    for (let k = 0; k < 3; k++) v[k] += d[k] * w;
  });
  return v;
}

/** Markers for a projection image from its Patient Orientation: [toward the right edge, toward the bottom]. */
export function patientOrientationMarkers(po: readonly [string, string], rotation: number, hflip: boolean, vflip: boolean): Markers {
  return orientationMarkers([...directionFromLetters(po[0]), ...directionFromLetters(po[1])], rotation, hflip, vflip);
}
