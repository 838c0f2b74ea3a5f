// The transfer syntaxes Amur decodes (PS3.5 §10 and Annex A), and how each one's pixel data are
// stored: native (little/big endian, possibly deflated as a whole) or encapsulated with a codec.

export type Codec =
  | 'native'
  | 'rle'
  | 'jpeg-baseline'
  | 'jpeg-extended'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg2000'
  | 'htj2k';

export interface TransferSyntax {
  codec: Codec;
  bigEndian?: boolean;
  deflated?: boolean;
  /** True when decoding gives back exactly the pixels that were encoded. */
  lossless: boolean;
}

export const TRANSFER_SYNTAXES: Record<string, TransferSyntax> = {
  '1.2.840.10008.1.2': { codec: 'native', lossless: true }, // Implicit VR Little Endian
  '1.2.840.10008.1.2.1': { codec: 'native', lossless: true }, // Explicit VR Little Endian
  '1.2.840.10008.1.2.1.99': { codec: 'native', deflated: true, lossless: true }, // Deflated Explicit VR LE
  '1.2.840.10008.1.2.2': { codec: 'native', bigEndian: true, lossless: true }, // Explicit VR Big Endian (retired)
  '1.2.840.10008.1.2.5': { codec: 'rle', lossless: true }, // RLE Lossless
  '1.2.840.10008.1.2.4.50': { codec: 'jpeg-baseline', lossless: false }, // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51': { codec: 'jpeg-extended', lossless: false }, // JPEG Extended (Process 2 & 4)
  '1.2.840.10008.1.2.4.57': { codec: 'jpeg-lossless', lossless: true }, // JPEG Lossless (Process 14)
  '1.2.840.10008.1.2.4.70': { codec: 'jpeg-lossless', lossless: true }, // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.80': { codec: 'jpeg-ls', lossless: true }, // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81': { codec: 'jpeg-ls', lossless: false }, // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90': { codec: 'jpeg2000', lossless: true }, // JPEG 2000 Lossless Only
  '1.2.840.10008.1.2.4.91': { codec: 'jpeg2000', lossless: false }, // JPEG 2000
  '1.2.840.10008.1.2.4.201': { codec: 'htj2k', lossless: true }, // HTJ2K Lossless
  '1.2.840.10008.1.2.4.202': { codec: 'htj2k', lossless: true }, // HTJ2K Lossless RPCL
  '1.2.840.10008.1.2.4.203': { codec: 'htj2k', lossless: false }, // HTJ2K
};

export function transferSyntax(uid: string): TransferSyntax | undefined {
  return TRANSFER_SYNTAXES[uid];
}
