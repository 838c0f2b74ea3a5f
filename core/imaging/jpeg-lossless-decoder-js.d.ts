// The package names a declaration file it does not ship; this is the part Amur uses.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    frame: { dimX: number; dimY: number; precision: number; numComp: number };
    decode(buffer?: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
