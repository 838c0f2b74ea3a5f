// The name a signing identity is proposed to be kept under, from its file's name: what
// core/signing/identity-store.ts accepts (up to 64 letters, digits, '.', '-', '_', not starting
// with a dot), so the proposal is never refused for its spelling.
export function identityNameFromFile(fileName: string): string {
  return fileName.replace(/\.(p12|pfx)$/i, '').replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[.-]+/, '').slice(0, 64);
}
