// The ImagingService of the contract: frames of stored instances, decoded in worker threads.
// The store is reached through one function (SOPInstanceUID → file), so the service needs no
// knowledge of the catalogue and tests can point it at any file.
import { AmurError } from '../common/errors.js';
import type { DocumentContent, ImageFrame, ImagePlane, ImagingService } from '../contract/imaging.js';
import type { FileSource } from '../vault/file-cipher.js';
import { DecoderPool, type Priority } from './decoder-pool.js';

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

  // Headers and documents are read on the decoder threads too: a long series' planes or a large
  // PDF must not hold up the host's own thread (nor the frames on screen: planes queue behind them).
  async getImagePlanes(SOPInstanceUIDs: string[]): Promise<ImagePlane[]> {
    const files = SOPInstanceUIDs.map((uid) => this.fileOf(uid));
    return (await Promise.all(files.map((f) => this.pool.planes(f)))).flat();
  }

  async getDocument(SOPInstanceUID: string): Promise<DocumentContent> {
    return this.pool.document(this.fileOf(SOPInstanceUID));
  }

  private fileOf(SOPInstanceUID: string): FileSource {
    const file = this.options.instanceFile(SOPInstanceUID);
    if (!file) throw new AmurError('imaging.unknownInstance', { SOPInstanceUID });
    return file;
  }

  dispose(): Promise<void> {
    return this.pool.close();
  }
}
