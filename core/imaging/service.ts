// The ImagingService of the contract: frames of stored instances, decoded in worker threads.
// The store is reached through one function (SOPInstanceUID → file), so the service needs no
// knowledge of the catalogue and tests can point it at any file.
import { AmurError } from '../common/errors.js';
import type { DocumentContent, ImageFrame, ImagePlane, ImagingService } from '../contract/imaging.js';
import { readSource, sourcePath, type FileSource } from '../vault/file-cipher.js';
import { parseInstance } from './decode.js';
import { DecoderPool, type Priority } from './decoder-pool.js';
import { readDocument } from './document.js';
import { readImagePlanes } from './pixel-module.js';

export interface ImagingServiceOptions {
  /** The stored (sealed) file of an instance, or undefined when the store does not hold it. */
  instanceFile(SOPInstanceUID: string): FileSource | undefined;
  /** Worker count; one per spare core (1 to 4) by default. */
  decoders?: number;
}

export class LocalImagingService implements ImagingService {
  private readonly pool: DecoderPool;

  constructor(private readonly options: ImagingServiceOptions) {
    this.pool = new DecoderPool(options.decoders);
  }

  /** Resolves when the decoders are started and their codecs loaded. */
  ready(): Promise<void> {
    return this.pool.ready();
  }

  async getImageFrame(SOPInstanceUID: string, frame: number, options: { prefetch?: boolean } = {}): Promise<ImageFrame> {
    const file = this.options.instanceFile(SOPInstanceUID);
    if (!file) throw new AmurError('imaging.unknownInstance', { SOPInstanceUID });
    const priority: Priority = options.prefetch ? 'prefetch' : 'display';
    return this.pool.decode(file, frame, priority);
  }

  async getImagePlanes(SOPInstanceUIDs: string[]): Promise<ImagePlane[]> {
    const out: ImagePlane[][] = [];
    // A few files at a time: a long series must not hold every file in memory at once.
    for (let i = 0; i < SOPInstanceUIDs.length; i += 16) {
      const chunk = SOPInstanceUIDs.slice(i, i + 16);
      out.push(...(await Promise.all(chunk.map(async (uid) => readImagePlanes(parseInstance(await this.bytesOf(uid)).ds)))));
    }
    return out.flat();
  }

  async getDocument(SOPInstanceUID: string): Promise<DocumentContent> {
    const file = this.options.instanceFile(SOPInstanceUID);
    if (!file) throw new AmurError('imaging.unknownInstance', { SOPInstanceUID });
    return readDocument(new Uint8Array(await readSource(file)), sourcePath(file));
  }

  private async bytesOf(SOPInstanceUID: string): Promise<Uint8Array> {
    const file = this.options.instanceFile(SOPInstanceUID);
    if (!file) throw new AmurError('imaging.unknownInstance', { SOPInstanceUID });
    return new Uint8Array(await readSource(file));
  }

  dispose(): Promise<void> {
    return this.pool.close();
  }
}
