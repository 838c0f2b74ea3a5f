// What the host hands the viewer (and any other consumer, such as AI triage) for one image frame:
// the pixels already decoded outside the renderer, and the attributes needed to display them
// correctly (PS3.3 C.7.6.3 Image Pixel Module, C.11 LUTs, C.7.6.2 Image Plane). Keywords are DICOM's.

/** The JavaScript typed-array type the pixels are in (so the receiver can view the ArrayBuffer). */
export type PixelArrayType = 'Uint8' | 'Int8' | 'Uint16' | 'Int16';

/** A VOI LUT (0028,3010) item: LUT Descriptor (0028,3002) and LUT Data (0028,3006). */
export interface VOILUT {
  /** [number of entries, first stored value mapped, bits per entry] (PS3.3 C.11.2.1.1). */
  LUTDescriptor: [number, number, number];
  LUTExplanation?: string;
  LUTData: number[];
}

/** The per-frame description of an image, with per-frame functional groups already applied. */
export interface ImagePixelModule {
  SOPInstanceUID: string;
  SOPClassUID: string;
  /** 0-based frame of a multi-frame instance (always 0 for a single frame). */
  frame: number;
  NumberOfFrames: number;
  TransferSyntaxUID: string;
  Rows: number;
  Columns: number;
  SamplesPerPixel: number;
  /** As stored in the instance (e.g. MONOCHROME1, PALETTE COLOR, YBR_FULL_422). */
  PhotometricInterpretation: string;
  BitsAllocated: number;
  BitsStored: number;
  HighBit: number;
  /** 0 unsigned, 1 two's complement. */
  PixelRepresentation: number;
  /** Modality LUT as a linear transform; 1 and 0 when the instance has none. */
  RescaleSlope: number;
  RescaleIntercept: number;
  RescaleType?: string;
  /** VOI windows in the order the instance lists them (first = default). */
  WindowCenter: number[];
  WindowWidth: number[];
  WindowCenterWidthExplanation: string[];
  /** LINEAR (default), LINEAR_EXACT or SIGMOID (0028,1056). */
  VOILUTFunction?: string;
  VOILUTSequence: VOILUT[];
  /** Row spacing \ column spacing in mm (PixelSpacing, else ImagerPixelSpacing). */
  PixelSpacing?: [number, number];
  /**
   * Which attribute PixelSpacing came from: ImagerPixelSpacing is measured at the detector, so a
   * length on a projection radiograph is magnified by the beam's geometry and the viewer says so.
   */
  PixelSpacingSource?: 'PixelSpacing' | 'ImagerPixelSpacing';
  /** Patient Orientation (0020,0020): the patient directions of the rows and of the columns (e.g. ["A", "F"]). */
  PatientOrientation?: [string, string];
  FrameOfReferenceUID?: string;
  ImagePositionPatient?: [number, number, number];
  ImageOrientationPatient?: [number, number, number, number, number, number];
  SliceLocation?: number;
  SliceThickness?: number;
  InstanceNumber?: number;
  /** For cine: ms between frames (FrameTime) and the recommended rate, when the instance gives them. */
  FrameTime?: number;
  RecommendedDisplayFrameRate?: number;
  /** Number of entries in the palette colour LUTs that were applied (PALETTE COLOR only). */
  PaletteEntries?: number;
}

/**
 * One decoded frame. Monochrome frames keep their stored values (sign-extended, bits above the
 * High Bit cleared), so the Modality LUT, VOI and MONOCHROME1 inversion are applied by the viewer
 * exactly as the standard orders them. Colour frames (RGB, YBR_*, PALETTE COLOR) arrive as
 * interleaved 8-bit RGB, so `colour` is true and SamplesPerPixel of the output is 3.
 */
export interface ImageFrame {
  pixelModule: ImagePixelModule;
  /** Pixel layout of `pixels`: Rows x Columns, row-major, interleaved samples. */
  pixelArrayType: PixelArrayType;
  colour: boolean;
  /** Smallest and largest stored value in the frame (before rescale). */
  minPixelValue: number;
  maxPixelValue: number;
  /** The pixels as bytes; view them with `pixelArrayType`. Travels as binary, never as JSON. */
  pixels: Uint8Array;
}

/**
 * Where one frame lies in the patient (PS3.3 C.7.6.2 Image Plane): what linked scrolling and
 * reference lines need for every image of a series without decoding any pixels.
 */
export interface ImagePlane {
  SOPInstanceUID: string;
  /** 0-based frame. */
  frame: number;
  FrameOfReferenceUID?: string;
  ImagePositionPatient?: [number, number, number];
  ImageOrientationPatient?: [number, number, number, number, number, number];
  /** Row spacing \ column spacing in mm. */
  PixelSpacing?: [number, number];
  Rows: number;
  Columns: number;
}

/** One content item of a Structured Report's tree (PS3.3 C.17.3), as a reader sees it. */
export interface SRContentItem {
  /** CONTAINER, TEXT, CODE, NUM, PNAME, DATE, TIME, DATETIME, UIDREF, IMAGE, COMPOSITE, SCOORD… */
  ValueType: string;
  RelationshipType?: string;
  /** The Concept Name's Code Meaning (the heading or the label). */
  concept?: string;
  /** The value as text: TextValue, the Concept Code's meaning, a number, a name, a date, a UID. */
  value?: string;
  /** A NUM's unit (Measurement Units Code Sequence): its code value, e.g. "mm", and meaning. */
  unit?: { value: string; meaning: string };
  children: SRContentItem[];
}

/** A series' instance that is read as a document rather than scrolled as an image. */
export type DocumentContent =
  | {
      kind: 'sr';
      SOPInstanceUID: string;
      /** The root container's Concept Name (the document title). */
      title: string;
      completionFlag?: string;
      verificationFlag?: string;
      /** ContentDate and ContentTime as stored (DA, TM). */
      ContentDate?: string;
      ContentTime?: string;
      root: SRContentItem;
    }
  | {
      kind: 'pdf';
      SOPInstanceUID: string;
      title: string;
      /** Pages of the PDF (its page tree's /Count). */
      pages: number;
      /** The encapsulated document, without DICOM's even-length padding. */
      bytes: Uint8Array;
    }
  | {
      kind: 'seg';
      SOPInstanceUID: string;
      /** Segments (Segment Sequence), in their numbering. */
      segments: { SegmentNumber: number; SegmentLabel: string; category?: string; type?: string }[];
      frames: number;
    };

export interface ImagingService {
  /**
   * Decodes one frame (0-based) of a stored instance, off the host's main thread. Prefetch
   * requests wait behind every request for an image on screen.
   */
  getImageFrame(SOPInstanceUID: string, frame: number, options?: { prefetch?: boolean }): Promise<ImageFrame>;
  /** The image planes of every frame of these instances, read from their headers (no decoding). */
  getImagePlanes(SOPInstanceUIDs: string[]): Promise<ImagePlane[]>;
  /** An SR, an Encapsulated PDF or a Segmentation, read for display as a document. */
  getDocument(SOPInstanceUID: string): Promise<DocumentContent>;
}
