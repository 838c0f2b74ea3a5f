// Types for the parts of cornerstone-core, cornerstone-tools, cornerstone-math and hammerjs that
// the viewer uses. None of these packages ships declarations; only renderer/viewer/ imports them.

declare module 'cornerstone-core' {
  export interface VOILUT {
    firstValueMapped: number;
    numBitsPerEntry: number;
    lut: number[];
  }
  export interface Image {
    imageId: string;
    minPixelValue: number;
    maxPixelValue: number;
    slope: number;
    intercept: number;
    windowCenter: number;
    windowWidth: number;
    getPixelData(): ArrayLike<number>;
    rows: number;
    columns: number;
    height: number;
    width: number;
    color: boolean;
    rgba?: boolean;
    columnPixelSpacing?: number;
    rowPixelSpacing?: number;
    invert: boolean;
    sizeInBytes: number;
    voiLUT?: VOILUT;
    [extra: string]: unknown;
  }
  export interface Viewport {
    scale: number;
    translation: { x: number; y: number };
    voi: { windowWidth: number; windowCenter: number };
    invert: boolean;
    pixelReplication: boolean;
    rotation: number;
    hflip: boolean;
    vflip: boolean;
    voiLUT?: VOILUT;
  }
  export interface ImageLoadObject {
    promise: Promise<Image>;
    cancelFn?: () => void;
  }
  export type ImageLoader = (imageId: string, options?: Record<string, unknown>) => ImageLoadObject;
  export interface EnabledElement {
    element: HTMLElement;
    image?: Image;
    viewport?: Viewport;
    canvas: HTMLCanvasElement;
  }
  export interface ImageRenderedDetail {
    element: HTMLElement;
    image: Image;
    viewport: Viewport;
    enabledElement: EnabledElement;
    canvasContext: CanvasRenderingContext2D;
    renderTimeInMs: number;
  }
  export const EVENTS: {
    IMAGE_RENDERED: string;
    NEW_IMAGE: string;
    IMAGE_CACHE_PROMISE_REMOVED: string;
    ELEMENT_RESIZED: string;
  };
  export function enable(element: HTMLElement, options?: Record<string, unknown>): void;
  export function disable(element: HTMLElement): void;
  export function displayImage(element: HTMLElement, image: Image, viewport?: Partial<Viewport>): void;
  export function loadImage(imageId: string, options?: Record<string, unknown>): Promise<Image>;
  export function loadAndCacheImage(imageId: string, options?: Record<string, unknown>): Promise<Image>;
  export function registerImageLoader(scheme: string, loader: ImageLoader): void;
  export function getViewport(element: HTMLElement): Viewport | undefined;
  export function setViewport(element: HTMLElement, viewport: Partial<Viewport>): void;
  export function getDefaultViewportForImage(element: HTMLElement, image: Image): Viewport;
  export function getEnabledElement(element: HTMLElement): EnabledElement;
  export function getImage(element: HTMLElement): Image | undefined;
  export function fitToWindow(element: HTMLElement): void;
  export function resize(element: HTMLElement, forceFitToWindow?: boolean): void;
  export function reset(element: HTMLElement): void;
  export function updateImage(element: HTMLElement, invalidated?: boolean): void;
  export function renderToCanvas(canvas: HTMLCanvasElement, image: Image): void;
  /** Sets the context's transform so that drawing in image pixel coordinates lands on the view. */
  export function setToPixelCoordinateSystem(enabledElement: EnabledElement, context: CanvasRenderingContext2D, scale?: number): void;
  /** Image pixel coordinates to the element's canvas coordinates, through the view's transform. */
  export function pixelToCanvas(element: HTMLElement, pt: { x: number; y: number }): { x: number; y: number };
  export const imageCache: {
    setMaximumSizeBytes(bytes: number): void;
    getCacheInfo(): { maximumSizeInBytes: number; cacheSizeInBytes: number; numberOfImagesCached: number };
    getImageLoadObject(imageId: string): ImageLoadObject | undefined;
    purgeCache(): void;
  };
  const cornerstone: {
    EVENTS: typeof EVENTS;
    enable: typeof enable;
    disable: typeof disable;
    displayImage: typeof displayImage;
    loadImage: typeof loadImage;
    loadAndCacheImage: typeof loadAndCacheImage;
    registerImageLoader: typeof registerImageLoader;
    getViewport: typeof getViewport;
    pixelToCanvas: typeof pixelToCanvas;
    setViewport: typeof setViewport;
    getDefaultViewportForImage: typeof getDefaultViewportForImage;
    getEnabledElement: typeof getEnabledElement;
    getImage: typeof getImage;
    fitToWindow: typeof fitToWindow;
    resize: typeof resize;
    reset: typeof reset;
    updateImage: typeof updateImage;
    renderToCanvas: typeof renderToCanvas;
    setToPixelCoordinateSystem: typeof setToPixelCoordinateSystem;
    imageCache: typeof imageCache;
  };
  export default cornerstone;
}

declare module 'cornerstone-tools' {
  interface Tools {
    external: { cornerstone: unknown; cornerstoneMath: unknown; Hammer: unknown };
    init(config?: Record<string, unknown>): void;
    addTool(tool: unknown, config?: Record<string, unknown>): void;
    addToolForElement(element: HTMLElement, tool: unknown, config?: Record<string, unknown>): void;
    setToolActive(name: string, options: { mouseButtonMask: number }): void;
    setToolActiveForElement(element: HTMLElement, name: string, options: { mouseButtonMask: number }): void;
    setToolPassive(name: string): void;
    WwwcTool: unknown;
    PanTool: unknown;
    ZoomTool: unknown;
    [other: string]: unknown;
  }
  const cornerstoneTools: Tools;
  export default cornerstoneTools;
}

declare module 'cornerstone-math' {
  const cornerstoneMath: Record<string, unknown>;
  export default cornerstoneMath;
}

declare module 'hammerjs' {
  const Hammer: unknown;
  export default Hammer;
}
